import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c';

/** Bit-at-a-time reference: slow but obviously the definition. */
function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the published check value and RFC 3720 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x22620404);
  });

  it('agrees with the bitwise definition for any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(crc32c(data)).toBe(reference(data));
      }),
    );
  });

  it('respects the offset and length of a view into a larger buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.nat(),
        (bytes, a, b) => {
          const start = a % bytes.length;
          const end = start + (b % (bytes.length - start + 1));
          const view = new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
          expect(crc32c(view)).toBe(reference(bytes.slice(start, end)));
          expect(crc32c(Buffer.from(bytes).subarray(start, end))).toBe(crc32c(view));
        },
      ),
    );
  });

  it('continues a running checksum across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const whole = new Uint8Array(a.length + b.length);
        whole.set(a);
        whole.set(b, a.length);
        expect(crc32c(b, crc32c(a))).toBe(crc32c(whole));
      }),
    );
  });
});
