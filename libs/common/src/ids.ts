import { randomFillSync } from 'node:crypto';

/** Object IDs look like Swarm's: 25 characters of lowercase base-36. */
export const OBJECT_ID_LENGTH = 25;

/** Source of random bytes, injected so tests and the simulator get reproducible IDs. */
export type RandomBytes = (n: number) => Uint8Array;

const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

/**
 * CSPRNG bytes served from a pool refilled 4 KiB at a time: the leader makes an ID for every
 * task it creates, and one randomBytes call per ID was a visible share of its CPU when it
 * placed a hundred thousand tasks (issue 6's benchmark). Each byte is handed out once.
 */
export const cryptoRandomBytes: RandomBytes = (n) => {
  if (n > POOL_BYTES) return randomFillSync(new Uint8Array(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
};

export type IdGenerator = () => string;

/**
 * 128 random bits, then base-36, padded to a fixed width. Rejection-free: a 128-bit number
 * always fits in 25 base-36 digits (36^25 > 2^128).
 */
export function objectIdGenerator(random: RandomBytes = cryptoRandomBytes): IdGenerator {
  return () => {
    let hex = '0x';
    for (const b of random(16)) hex += b.toString(16).padStart(2, '0');
    // BigInt's own base-36 (digits 0-9 then lowercase a-z) in one native call.
    return BigInt(hex).toString(36).padStart(OBJECT_ID_LENGTH, '0');
  };
}

/** Deterministic bytes for tests: a counter-seeded xorshift, not for production. */
export function seededRandomBytes(seed: number): RandomBytes {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}
