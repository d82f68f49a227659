import {
  type FieldMap,
  type Kind,
  NAMED_KINDS,
  STAMPED_FIELDS,
  type StoredObject,
} from './store.contract';

/**
 * Immutability policy: every object the store hands out is deep-frozen, once, when it is
 * written (a transaction's copy, or the decoded copy at apply). Reads then return the stored
 * reference with no copying, which is what the hot paths (orchestrators listing tasks) want.
 * To change an object, structuredClone() it, edit the clone and pass it to tx.update().
 *
 * So a frozen object is taken to be the store's own, frozen all the way down and in JSON
 * form (a marker kept per object, such as a WeakSet, cost more than the copying it saves).
 * Callers must not hand the store a shallow-frozen object with mutable children; the frozen
 * constants in libs/api are flat.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // A frozen child is one of ours and already frozen all the way down.
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A detached copy in exactly the form the object will have after the proposal's JSON round
 * trip, so what a transaction reads back is what apply will store.
 *
 * Frozen subtrees (the store's own, see above) are shared, not copied: they are already in
 * their JSON form and never change. Most writes are a stored object with one field replaced (`{ ...task,
 * Status }`), so this copies the new field and the outer object instead of the whole task;
 * copying whole tasks was the leader's largest single cost when it placed a hundred
 * thousand of them (issue 6's benchmark).
 */
export function cloneJson<T>(value: T): T {
  return detach(value) as T;
}

function detach(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (!isPlainJson(value)) return JSON.parse(JSON.stringify(value)) as unknown;
  if (Array.isArray(value)) {
    // JSON writes the holes, undefined and functions of an array as null.
    return Array.from(value, (item: unknown) =>
      isDropped(item) ? null : detach(jsonNumber(item)),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!isDropped(item)) out[key] = detach(jsonNumber(item));
  }
  return out;
}

/** An array or an object of the kind JSON.parse makes, with nothing that serializes itself. */
function isPlainJson(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  // Assigning '__proto__' would set the prototype instead of a key; let JSON handle it.
  return !Object.prototype.hasOwnProperty.call(value, '__proto__');
}

function isDropped(item: unknown): boolean {
  return item === undefined || typeof item === 'function' || typeof item === 'symbol';
}

function jsonNumber(item: unknown): unknown {
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) return null;
    // JSON writes -0 as 0.
    return item === 0 ? 0 : item;
  }
  if (typeof item === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  return item;
}

const NAMED = new Set<Kind>(NAMED_KINDS);

export function isNamedKind(kind: Kind): boolean {
  return NAMED.has(kind);
}

/** The object's name as given, or undefined if it has none. */
export function nameOf(object: StoredObject): string | undefined {
  const name = object.Spec?.Name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Names are unique case-insensitively, as in swarmkit: "Web" and "web" would be
 * indistinguishable to users of the CLI, so they conflict.
 */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** The task fields the store indexes. */
export type TaskField = 'ServiceID' | 'NodeID' | 'DesiredState';
export const TASK_FIELDS: readonly TaskField[] = ['ServiceID', 'NodeID', 'DesiredState'];

/** A task's value for an indexed field; empty and non-string values are not indexed. */
export function taskField(task: StoredObject, field: TaskField): string | undefined {
  const value = (task as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What an update proposes: the top-level fields that differ between the version a writer
 * read and what it writes. Unchanged fields are the very same frozen values (cloneJson
 * shares them), so comparing references finds them without walking them.
 */
export function updateFields(
  base: StoredObject,
  value: StoredObject,
): { set: FieldMap; unset?: string[] } {
  const was = base as unknown as FieldMap;
  const now = value as unknown as FieldMap;
  const set: FieldMap = {};
  for (const key of Object.keys(now)) {
    if (!STAMPED_FIELDS.has(key) && now[key] !== was[key]) set[key] = now[key];
  }
  const unset = Object.keys(was).filter(
    (key) => !STAMPED_FIELDS.has(key) && !Object.hasOwn(now, key),
  );
  return unset.length > 0 ? { set, unset } : { set };
}
