import { type Entry } from './types';

/**
 * Rough wire overhead of one entry besides its data (term, index, type and framing as
 * varints). Counting it keeps a batch of many tiny entries from blowing past the message
 * budget the way a pure payload count would.
 */
export const ENTRY_OVERHEAD_BYTES = 16;

/** Approximate encoded size of an entry; the unit of maxSizePerMsg. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Payload bytes only: what maxEntryBytes and maxUncommittedBytes limit. */
export function payloadSize(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.byteLength;
  return n;
}

/**
 * The longest prefix of `entries` whose total entrySize fits in maxSize, but never fewer than
 * one entry: a single oversized entry must still be able to move, or the log would wedge.
 */
export function limitSize(entries: Entry[], maxSize: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySize(entries[0]!);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entrySize(entries[n]!);
    if (size > maxSize) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/**
 * limitSize over arr[from, to) without copying the whole range first: a lagging follower's
 * catch-up asks for "everything from i" many times, and must not cost O(log length) each time.
 */
export function sliceLimited(
  arr: readonly Entry[],
  from: number,
  to: number,
  maxSize: number,
): Entry[] {
  if (from >= to) return [];
  let size = entrySize(arr[from]!);
  let end = from + 1;
  for (; end < to; end++) {
    size += entrySize(arr[end]!);
    if (size > maxSize) break;
  }
  return arr.slice(from, end);
}
