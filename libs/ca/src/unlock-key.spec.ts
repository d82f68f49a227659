import { hkdfSync } from 'node:crypto';
import { DecryptionError, aesGcmCipher, seededRandomBytes } from '@shoal/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidUnlockKeyError,
  generateDataKey,
  generateUnlockKey,
  parseUnlockKey,
  unwrapDataKey,
  wrapDataKey,
} from './unlock-key';

const FORM = 'expected SWMKEY-1-<43 characters of base 64 [A-Za-z0-9+/], no padding>';
const VALID = `SWMKEY-1-${'A'.repeat(43)}`;

function refusal(fn: () => unknown): InvalidUnlockKeyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidUnlockKeyError);
    return e as InvalidUnlockKeyError;
  }
  throw new Error('expected an InvalidUnlockKeyError');
}

describe('unlock keys', () => {
  it('look like Swarm’s: SWMKEY-1- and 32 bytes of unpadded standard base 64', () => {
    const key = generateUnlockKey();
    expect(key).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    const bytes = parseUnlockKey(key);
    expect(bytes).toHaveLength(32);
    expect(`SWMKEY-1-${Buffer.from(bytes).toString('base64').slice(0, 43)}`).toBe(key);
    expect(generateUnlockKey()).not.toBe(key);
  });

  it('come from the injected random source', () => {
    const key = generateUnlockKey(seededRandomBytes(3));
    expect(generateUnlockKey(seededRandomBytes(3))).toBe(key);
    expect(Buffer.from(parseUnlockKey(key))).toEqual(Buffer.from(seededRandomBytes(3)(32)));
  });

  it.each([
    ['', 'it is empty'],
    [`${VALID}\n`, 'it has leading or trailing whitespace'],
    [`SWMTKN-1-${'A'.repeat(43)}`, 'it does not start with "SWMKEY-1-"'],
    [`SWMKEY-2-${'A'.repeat(43)}`, 'it does not start with "SWMKEY-1-"'],
    [`SWMKEY-1-${'A'.repeat(42)}`, 'it has 42 characters after the prefix, not 43'],
    [`SWMKEY-1-${'A'.repeat(42)}=`, 'it has characters outside base 64'],
    [`SWMKEY-1-${'A'.repeat(42)}_`, 'it has characters outside base 64'],
    [`SWMKEY-1-${'A'.repeat(42)}B`, 'its last character is not a valid final base-64 digit'],
  ])('refuse %j: %s', (key, problem) => {
    const err = refusal(() => parseUnlockKey(key));
    expect(err.reason).toBe('malformed');
    expect(err.message).toBe(`invalid unlock key: ${problem}; ${FORM}`);
  });

  it('never repeat the key in their errors', () => {
    const body = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dX'; // 42 characters
    const err = refusal(() => parseUnlockKey(`SWMKEY-1-${body}`));
    expect(err.message).not.toContain(body);
  });

  it('property: parsing a random string returns 32 bytes or throws InvalidUnlockKeyError', () => {
    const keyish = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.stringMatching(/^SWMKEY-1-[A-Za-z0-9+/=_-]{40,46}$/),
    );
    fc.assert(
      fc.property(keyish, (s) => {
        try {
          const bytes = parseUnlockKey(s);
          expect(bytes).toHaveLength(32);
          expect(`SWMKEY-1-${Buffer.from(bytes).toString('base64').slice(0, 43)}`).toBe(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidUnlockKeyError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('data key wrapping', () => {
  it('generates 32-byte data keys from the injected random source', () => {
    expect(generateDataKey()).toHaveLength(32);
    expect(Buffer.from(generateDataKey(seededRandomBytes(5)))).toEqual(
      Buffer.from(seededRandomBytes(5)(32)),
    );
  });

  it('unwraps with the same unlock key, given as the string or its bytes', () => {
    const unlockKey = generateUnlockKey();
    const dataKey = generateDataKey();
    const wrapped = wrapDataKey(dataKey, unlockKey);
    expect(Buffer.from(wrapped).includes(Buffer.from(dataKey))).toBe(false);
    expect(Buffer.from(unwrapDataKey(wrapped, unlockKey))).toEqual(Buffer.from(dataKey));
    expect(Buffer.from(unwrapDataKey(wrapped, parseUnlockKey(unlockKey)))).toEqual(
      Buffer.from(dataKey),
    );
    expect(
      Buffer.from(unwrapDataKey(wrapDataKey(dataKey, parseUnlockKey(unlockKey)), unlockKey)),
    ).toEqual(Buffer.from(dataKey));
  });

  it('says "the unlock key is wrong" for another key, without showing either', () => {
    const unlockKey = generateUnlockKey();
    const otherKey = generateUnlockKey();
    const wrapped = wrapDataKey(generateDataKey(), unlockKey);
    const err = refusal(() => unwrapDataKey(wrapped, otherKey));
    expect(err.reason).toBe('wrong');
    expect(err.message).toBe('the unlock key is wrong');
    expect(err.message).not.toContain(otherKey.slice(9));
  });

  it('refuses a tampered wrapped key, and one too short to be sealed', () => {
    const unlockKey = generateUnlockKey();
    const wrapped = new Uint8Array(wrapDataKey(generateDataKey(), unlockKey));
    wrapped[20]! ^= 0x80;
    expect(refusal(() => unwrapDataKey(wrapped, unlockKey)).reason).toBe('wrong');
    expect(() => unwrapDataKey(wrapped.subarray(0, 10), unlockKey)).toThrow(DecryptionError);
  });

  it('does not open data sealed for another purpose under the same key', () => {
    // The wrap binds its own associated data; a plain seal under the KEK is not a wrapped key.
    const unlockKey = generateUnlockKey();
    const kek = new Uint8Array(
      hkdfSync(
        'sha256',
        parseUnlockKey(unlockKey),
        new Uint8Array(0),
        'shoal data key wrap v1',
        32,
      ),
    );
    const plain = aesGcmCipher(kek).seal(new Uint8Array(32));
    expect(refusal(() => unwrapDataKey(plain, unlockKey)).reason).toBe('wrong');
    // And the KEK derivation is the documented one: with the AAD, it opens.
    const sealed = aesGcmCipher(kek).seal(
      new Uint8Array(32).fill(1),
      new TextEncoder().encode('shoal wrapped data key'),
    );
    const unwrapped = unwrapDataKey(sealed, unlockKey);
    expect(unwrapped).toEqual(new Uint8Array(32).fill(1));
    expect(Buffer.isBuffer(unwrapped)).toBe(false);
  });

  it('refuses data keys and unlock keys of the wrong size', () => {
    expect(() => wrapDataKey(new Uint8Array(16), generateUnlockKey())).toThrow(
      'a data key is 32 bytes, got 16',
    );
    const err = refusal(() => wrapDataKey(generateDataKey(), new Uint8Array(31)));
    expect(err.message).toBe(`invalid unlock key: it is 31 bytes, not 32; ${FORM}`);
  });
});
