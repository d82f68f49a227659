import {
  type Kind,
  KINDS,
  type StoreAction,
  type StoredObject,
  type StoreProposal,
} from './store.contract';
import { deepFreeze } from './store.objects';
import { type TableImage } from './store.tables';

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is garbage, not something to guess at.
const decoder = new TextDecoder('utf-8', { fatal: true });
const KIND_SET = new Set<string>(KINDS);

export function encodeProposal(proposal: StoreProposal): Uint8Array {
  return encoder.encode(JSON.stringify(proposal));
}

/**
 * The proposal in an entry, or undefined if the entry is not one (bad UTF-8 or JSON, or the
 * wrong shape). Never throws: whatever is in the log, Raft must keep applying. The checks
 * depend only on the bytes, so every manager skips the same entries.
 */
export function decodeProposal(data: Uint8Array): StoreProposal | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { requestId, time, actions } = value;
  if (typeof requestId !== 'string' || !Number.isFinite(time) || !Array.isArray(actions)) {
    return undefined;
  }
  if (!actions.every(isAction)) return undefined;
  return { requestId, time: time as number, actions };
}

export interface StoreImage {
  index: number;
  tables: TableImage;
}

export function encodeSnapshot(image: StoreImage): Uint8Array {
  return encoder.encode(JSON.stringify(image));
}

/** Unlike entries, a bad snapshot is an error: restoring half a state would be worse. */
export function decodeSnapshot(data: Uint8Array): StoreImage {
  const value: unknown = JSON.parse(decoder.decode(data));
  if (!isRecord(value) || !Number.isSafeInteger(value.index) || !isRecord(value.tables)) {
    throw new Error('store snapshot: not a {index, tables} image');
  }
  const tables = {} as TableImage;
  for (const kind of KINDS) {
    const objects = value.tables[kind] ?? [];
    if (!Array.isArray(objects) || !objects.every(isObject)) {
      throw new Error(`store snapshot: bad ${kind} table`);
    }
    tables[kind] = deepFreeze(objects);
  }
  return { index: value.index as number, tables };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isObject(v: unknown): v is StoredObject {
  if (!isRecord(v) || typeof v.ID !== 'string' || v.ID === '') return false;
  return isRecord(v.Version) && Number.isSafeInteger(v.Version.Index);
}

function isAction(v: unknown): v is StoreAction {
  if (!isRecord(v) || typeof v.kind !== 'string' || !KIND_SET.has(v.kind as Kind)) return false;
  switch (v.op) {
    case 'create':
      return isWritable(v.object);
    case 'update':
      return 'object' in v ? isWritable(v.object) : isPatch(v);
    case 'remove':
      return typeof v.id === 'string';
    default:
      return false;
  }
}

/**
 * An object a proposal may write: a top-level "__proto__" would be read back as the
 * prototype rather than a field, so apply would store something else than was proposed (a
 * transaction refuses it too).
 */
function isWritable(v: unknown): v is StoredObject {
  return isObject(v) && !Object.hasOwn(v, '__proto__');
}

/** An update by fields: never of the ID (or the prototype), which would corrupt the tables. */
function isPatch(v: Record<string, unknown>): boolean {
  if (typeof v.id !== 'string' || !Number.isSafeInteger(v.version) || !isRecord(v.set)) {
    return false;
  }
  const touched = Object.keys(v.set);
  if (v.unset !== undefined) {
    if (!Array.isArray(v.unset) || !v.unset.every((k) => typeof k === 'string')) return false;
    touched.push(...(v.unset as string[]));
  }
  return !touched.some((k) => k === 'ID' || k === '__proto__');
}
