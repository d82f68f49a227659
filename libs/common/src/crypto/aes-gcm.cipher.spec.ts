import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandomBytes } from '../ids';
import {
  DecryptionError,
  SEALED_OVERHEAD_BYTES,
  aesGcmCipher,
  type DecryptionFailure,
} from './aes-gcm.cipher';

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const bytes = (s: string) => new TextEncoder().encode(s);

function openError(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecryptionError);
    return e as DecryptionError;
  }
  throw new Error('expected open() to throw');
}

describe('aesGcmCipher', () => {
  it('seals as version || 12-byte nonce || ciphertext || 16-byte tag and opens it again', () => {
    const cipher = aesGcmCipher(KEY);
    const plain = bytes('raft entry 42');
    const sealed = cipher.seal(plain);
    expect(sealed.length).toBe(1 + 12 + plain.length + 16);
    expect(sealed[0]).toBe(1);
    expect(Buffer.from(sealed).includes(Buffer.from(plain))).toBe(false);
    const opened = cipher.open(sealed);
    expect(Buffer.from(opened)).toEqual(Buffer.from(plain));
    // A fresh array, not a slice of Node's shared Buffer pool.
    expect(Buffer.isBuffer(opened)).toBe(false);
    expect(opened.byteOffset).toBe(0);
    expect(opened.buffer.byteLength).toBe(plain.length);
  });

  it('round-trips empty data, and with associated data', () => {
    const cipher = aesGcmCipher(KEY);
    expect(cipher.open(cipher.seal(new Uint8Array(0))).length).toBe(0);
    expect(cipher.seal(new Uint8Array(0)).length).toBe(SEALED_OVERHEAD_BYTES);
    const aad = bytes('wal segment 3');
    expect(Buffer.from(cipher.open(cipher.seal(bytes('x'), aad), aad)).toString()).toBe('x');
  });

  it('uses a fresh nonce from the injected random source for every seal', () => {
    const cipher = aesGcmCipher(KEY, seededRandomBytes(1));
    const a = cipher.seal(bytes('same'));
    const b = cipher.seal(bytes('same'));
    expect(Buffer.from(a.subarray(1, 13))).not.toEqual(Buffer.from(b.subarray(1, 13)));
    expect(Buffer.from(a)).not.toEqual(Buffer.from(b));
    // Deterministic under a seeded source: the simulator can replay it.
    expect(Buffer.from(aesGcmCipher(KEY, seededRandomBytes(1)).seal(bytes('same')))).toEqual(
      Buffer.from(a),
    );
  });

  it('does not keep a reference to the caller’s key buffer', () => {
    const key = new Uint8Array(KEY);
    const cipher = aesGcmCipher(key);
    const sealed = cipher.seal(bytes('secret'));
    key.fill(0);
    expect(Buffer.from(cipher.open(sealed)).toString()).toBe('secret');
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => aesGcmCipher(new Uint8Array(16))).toThrow(
      'AES-256-GCM needs a 32-byte key, got 16 bytes',
    );
  });

  it('refuses a wrong key', () => {
    const sealed = aesGcmCipher(KEY).seal(bytes('x'));
    const err = openError(() => aesGcmCipher(OTHER_KEY).open(sealed));
    expect(err.reason).toBe<DecryptionFailure>('authentication');
    expect(err.message).toBe(
      'cannot decrypt: authentication failed (wrong key, or the data or its associated data ' +
        'was altered or truncated)',
    );
  });

  it('refuses missing, extra or different associated data', () => {
    const cipher = aesGcmCipher(KEY);
    const sealed = cipher.seal(bytes('x'), bytes('a'));
    expect(openError(() => cipher.open(sealed)).reason).toBe('authentication');
    expect(openError(() => cipher.open(sealed, bytes('b'))).reason).toBe('authentication');
    expect(openError(() => cipher.open(cipher.seal(bytes('x')), bytes('a'))).reason).toBe(
      'authentication',
    );
    // An empty AAD and no AAD are the same thing.
    expect(cipher.open(cipher.seal(bytes('x')), new Uint8Array(0)).length).toBe(1);
  });

  it('refuses truncation, whether below the minimum size or not', () => {
    const cipher = aesGcmCipher(KEY);
    const sealed = cipher.seal(bytes('hello world'));
    const short = openError(() => cipher.open(sealed.subarray(0, 10)));
    expect(short.reason).toBe('truncated');
    expect(short.message).toBe(
      'cannot decrypt: sealed data is 10 bytes, shorter than the 29-byte minimum ' +
        '(truncated or not sealed data)',
    );
    expect(openError(() => cipher.open(sealed.subarray(0, sealed.length - 1))).reason).toBe(
      'authentication',
    );
    expect(openError(() => cipher.open(new Uint8Array(0))).reason).toBe('truncated');
  });

  it('refuses an unknown format version', () => {
    const cipher = aesGcmCipher(KEY);
    const sealed = new Uint8Array(cipher.seal(bytes('x')));
    sealed[0] = 2;
    const err = openError(() => cipher.open(sealed));
    expect(err.reason).toBe('unknown-version');
    expect(err.message).toBe(
      'cannot decrypt: unknown sealed-data format version 2 (this build reads version 1)',
    );
  });

  it('property: seal/open round-trips arbitrary bytes and associated data', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 512 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        (key, plain, aad) => {
          const cipher = aesGcmCipher(key);
          expect(Buffer.from(cipher.open(cipher.seal(plain, aad), aad))).toEqual(
            Buffer.from(plain),
          );
        },
      ),
    );
  });

  it('property: any single-bit flip anywhere in the sealed data is refused', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 256 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (key, plain, at, bit) => {
          const cipher = aesGcmCipher(key);
          const sealed = new Uint8Array(cipher.seal(plain));
          sealed[at % sealed.length]! ^= 1 << bit;
          expect(() => cipher.open(sealed)).toThrow(DecryptionError);
        },
      ),
    );
  });
});
