import { randomBytes } from 'node:crypto';

/**
 * The write workload both systems get, defined once so a difference in results cannot come
 * from a difference in keys or payloads.
 */

/**
 * One random payload reused by every put: generating 1 KiB per op would cost the load
 * generator CPU that the servers on the same cores need, and neither system compresses or
 * deduplicates values, so reuse does not flatter either.
 */
export function makeValue(bytes: number): Buffer {
  return randomBytes(bytes);
}

/**
 * Keys cycle through a bounded space so a long run overwrites instead of growing both state
 * machines without limit, while 64 workers still rarely touch the same key at once.
 */
export function keyFor(workerId: number, seq: number, keySpace: number): string {
  const n = (workerId * 1_000_003 + seq) % keySpace;
  return `bench/${n.toString().padStart(8, '0')}`;
}

export interface PutWorkload {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  valueBytes: number;
  keySpace: number;
}

/** The comparison the benchmark is specified for: 64 clients, 30 s, 1 KiB. */
export const DEFAULT_PUT_WORKLOAD: PutWorkload = {
  concurrency: 64,
  durationMs: 30_000,
  warmupMs: 2_000,
  valueBytes: 1024,
  keySpace: 100_000,
};
