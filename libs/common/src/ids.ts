import { randomBytes } from 'node:crypto';

/** Object IDs look like Swarm's: 25 characters of lowercase base-36. */
export const OBJECT_ID_LENGTH = 25;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Source of random bytes, injected so tests and the simulator get reproducible IDs. */
export type RandomBytes = (n: number) => Uint8Array;

export const cryptoRandomBytes: RandomBytes = (n) => randomBytes(n);

export type IdGenerator = () => string;

/**
 * 128 random bits, then base-36, padded to a fixed width. Rejection-free: a 128-bit number
 * always fits in 25 base-36 digits (36^25 > 2^128).
 */
export function objectIdGenerator(random: RandomBytes = cryptoRandomBytes): IdGenerator {
  return () => {
    let n = 0n;
    for (const b of random(16)) n = (n << 8n) | BigInt(b);
    let s = '';
    for (let i = 0; i < OBJECT_ID_LENGTH; i++) {
      s = ALPHABET[Number(n % 36n)]! + s;
      n /= 36n;
    }
    return s;
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
