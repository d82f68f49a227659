import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoRandomBytes, OBJECT_ID_LENGTH, objectIdGenerator, seededRandomBytes } from './ids';

/** The plain digit-by-digit conversion, as a reference for the fast one. */
function referenceId(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let s = '';
  for (let i = 0; i < OBJECT_ID_LENGTH; i++) {
    s = '0123456789abcdefghijklmnopqrstuvwxyz'[Number(n % 36n)]! + s;
    n /= 36n;
  }
  return s;
}

describe('objectIdGenerator', () => {
  it('makes 25-character lowercase base-36 IDs', () => {
    const next = objectIdGenerator();
    const ids = new Set(Array.from({ length: 1000 }, () => next()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(new RegExp(`^[0-9a-z]{${OBJECT_ID_LENGTH}}$`));
  });

  it('is reproducible from a seed', () => {
    const a = objectIdGenerator(seededRandomBytes(7));
    const b = objectIdGenerator(seededRandomBytes(7));
    expect([a(), a()]).toEqual([b(), b()]);
  });

  it('is the base-36 value of its 128 random bits, zero-padded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(objectIdGenerator(() => bytes)()).toBe(referenceId(bytes));
      }),
    );
    expect(objectIdGenerator(() => new Uint8Array(16))()).toBe('0'.repeat(OBJECT_ID_LENGTH));
  });
});

describe('cryptoRandomBytes', () => {
  it('hands out each pooled byte once, across refills and oversized requests', () => {
    const chunks = Array.from({ length: 600 }, () => Buffer.from(cryptoRandomBytes(16)));
    expect(new Set(chunks.map((c) => c.toString('hex'))).size).toBe(600);
    expect(cryptoRandomBytes(10_000)).toHaveLength(10_000);
    expect(cryptoRandomBytes(3)).toHaveLength(3);
  });
});
