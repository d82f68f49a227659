import {
  type PbConfStateOut,
  type PbEntry,
  type PbEntryOut,
  type PbMessage,
  type PbMessageOut,
  type PbSnapshotMetadataOut,
  type PbSnapshotOut,
} from '@shoal/api';
import {
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type Snapshot,
  type SnapshotMetadata,
} from '../core/types';

/**
 * gRPC's default cap, set explicitly on both ends. Every batch, snapshot header and snapshot
 * chunk is sized to stay under it.
 */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

/** A message from the wire that the core must not see. */
export class MessageDecodeError extends Error {
  constructor(reason: string) {
    super(`undecodable raft message: ${reason}`);
    this.name = 'MessageDecodeError';
  }
}

export interface EncodeOptions {
  /** The snapshot path sends the data as separate chunks after the message. */
  omitSnapshotData?: boolean;
}

const EMPTY = new Uint8Array(0);

export function messageToPb(m: Message, opts: EncodeOptions = {}): PbMessage {
  const pb: PbMessage = {
    type: m.type,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryToPb),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
  };
  if (m.snapshot) {
    pb.snapshot = {
      metadata: {
        index: m.snapshot.metadata.index,
        term: m.snapshot.metadata.term,
        confState: {
          voters: m.snapshot.metadata.confState.voters,
          learners: m.snapshot.metadata.confState.learners,
        },
      },
      data: opts.omitSnapshotData ? EMPTY : m.snapshot.data,
    };
  }
  // Setting the field at all marks it present, so an empty context survives the trip.
  if (m.context !== undefined) pb.context = m.context;
  return pb;
}

function entryToPb(e: Entry): PbEntry {
  return { term: e.term, index: e.index, type: e.type, data: e.data };
}

/**
 * Validates as it converts: the peer may run another version, and a NaN or an unknown enum
 * reaching the core would corrupt its state rather than fail loudly.
 */
export function messageFromPb(pb: PbMessageOut): Message {
  const m: Message = {
    type: messageType(pb.type),
    to: pb.to,
    from: pb.from,
    term: u64(pb.term, 'term'),
    logTerm: u64(pb.logTerm, 'logTerm'),
    index: u64(pb.index, 'index'),
    entries: pb.entries.map(entryFromPb),
    commit: u64(pb.commit, 'commit'),
    reject: pb.reject,
    rejectHint: u64(pb.rejectHint, 'rejectHint'),
  };
  if (pb.snapshot) m.snapshot = snapshotFromPb(pb.snapshot);
  if (pb.context !== undefined) m.context = copyBytes(pb.context);
  return m;
}

function entryFromPb(pb: PbEntryOut): Entry {
  return {
    term: u64(pb.term, 'entry.term'),
    index: u64(pb.index, 'entry.index'),
    type: entryType(pb.type),
    data: copyBytes(pb.data),
  };
}

function snapshotFromPb(pb: PbSnapshotOut): Snapshot {
  return { metadata: metadataFromPb(pb.metadata), data: copyBytes(pb.data) };
}

function metadataFromPb(pb: PbSnapshotMetadataOut | null): SnapshotMetadata {
  if (!pb) throw new MessageDecodeError('snapshot without metadata');
  return {
    index: u64(pb.index, 'snapshot.index'),
    term: u64(pb.term, 'snapshot.term'),
    confState: confStateFromPb(pb.confState),
  };
}

function confStateFromPb(pb: PbConfStateOut | null): ConfState {
  if (!pb) throw new MessageDecodeError('snapshot metadata without conf state');
  return { voters: [...pb.voters], learners: [...pb.learners] };
}

/**
 * The decoder's Buffers are views into the whole received frame; an entry the log keeps for
 * hours would pin up to 4 MiB with it. A copy also gives the core plain Uint8Arrays, the same
 * type the memory transport delivers.
 */
function copyBytes(b: Uint8Array): Uint8Array {
  return b.length === 0 ? new Uint8Array(0) : new Uint8Array(b);
}

function u64(v: number, field: string): number {
  // longs: Number rounds anything past 2^53, which would silently alias two indexes.
  if (!Number.isSafeInteger(v) || v < 0) throw new MessageDecodeError(`${field} = ${v}`);
  return v;
}

function messageType(v: number): MessageType {
  // A numeric TS enum maps each value back to its name; anything else is from the future.
  if (typeof MessageType[v] !== 'string') throw new MessageDecodeError(`unknown type ${v}`);
  return v as MessageType;
}

function entryType(v: number): EntryType {
  if (typeof EntryType[v] !== 'string') throw new MessageDecodeError(`unknown entry type ${v}`);
  return v as EntryType;
}

// Upper bounds for protobuf's encoding: a tag is 1 byte for field numbers below 16, a varint
// at most 10, a length prefix at most 5 (lengths stay far below 2^35).
const SCALAR = 1 + 10;
const LEN_OVERHEAD = 1 + 5;

/** UTF-8 needs at most 3 bytes per UTF-16 unit; exact counting is not worth its cost here. */
function stringBound(s: string): number {
  return LEN_OVERHEAD + 3 * s.length;
}

function entryBound(e: Entry): number {
  return LEN_OVERHEAD + 3 * SCALAR + LEN_OVERHEAD + e.data.length;
}

/**
 * An upper bound on the encoded size of `m` as one element of a repeated field, cheap enough
 * to run on every message sent. Batching against a bound rather than the exact size wastes a
 * little room but never produces a frame the receiver would refuse.
 */
export function messageSizeBound(m: Message, opts: EncodeOptions = {}): number {
  let n = LEN_OVERHEAD + 6 * SCALAR + 2 + stringBound(m.to) + stringBound(m.from);
  for (const e of m.entries) n += entryBound(e);
  if (m.context !== undefined) n += LEN_OVERHEAD + m.context.length;
  if (m.snapshot) {
    const cs = m.snapshot.metadata.confState;
    n += 3 * LEN_OVERHEAD + 2 * SCALAR + LEN_OVERHEAD;
    for (const id of cs.voters) n += stringBound(id);
    for (const id of cs.learners) n += stringBound(id);
    if (!opts.omitSnapshotData) n += m.snapshot.data.length;
  }
  return n;
}
