import { hkdfSync } from 'node:crypto';
import { DecryptionError, aesGcmCipher, cryptoRandomBytes, type RandomBytes } from '@shoal/common';

/**
 * Autolock. Raft WAL and snapshot contents and the CA key are sealed under a random data key.
 * With autolock on, the data key is stored wrapped by the unlock key, which only the operator
 * holds (`SWMKEY-1-<base64 of 32 random bytes>`, standard alphabet without padding, as Swarm
 * prints it).
 *
 * KEK = HKDF-SHA256(unlock key bytes, no salt, info "shoal data key wrap v1"), then AES-256-GCM.
 * No salt is needed: the unlock key is already uniformly random. Keys never appear in errors.
 */

export const UNLOCK_KEY_PREFIX = 'SWMKEY-1-';
export const UNLOCK_KEY_BYTES = 32;
export const DATA_KEY_BYTES = 32;
/** 32 bytes in base 64 without padding. */
const ENCODED_LENGTH = Math.ceil((UNLOCK_KEY_BYTES * 8) / 6);
const BASE64 = /^[A-Za-z0-9+/]*$/;
const WRAP_INFO = 'shoal data key wrap v1';
/** Binds a sealed value to this use, so a data key sealed elsewhere cannot pass for one. */
const WRAP_AAD = new TextEncoder().encode('shoal wrapped data key');

export type InvalidUnlockKeyReason = 'malformed' | 'wrong';

export class InvalidUnlockKeyError extends Error {
  override readonly name = 'InvalidUnlockKeyError';
  constructor(
    readonly reason: InvalidUnlockKeyReason,
    message: string,
  ) {
    super(message);
  }
}

function malformed(problem: string): InvalidUnlockKeyError {
  return new InvalidUnlockKeyError(
    'malformed',
    `invalid unlock key: ${problem}; expected ${UNLOCK_KEY_PREFIX}<${ENCODED_LENGTH} ` +
      'characters of base 64 [A-Za-z0-9+/], no padding>',
  );
}

export function generateUnlockKey(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = random(UNLOCK_KEY_BYTES);
  if (bytes.length !== UNLOCK_KEY_BYTES) {
    throw new RangeError(`random source returned ${bytes.length} bytes, not ${UNLOCK_KEY_BYTES}`);
  }
  return UNLOCK_KEY_PREFIX + Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** The 32 key bytes. Strict: callers that read the key from a terminal trim it first. */
export function parseUnlockKey(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length === 0) throw malformed('it is empty');
  if (s.trim() !== s) throw malformed('it has leading or trailing whitespace');
  if (!s.startsWith(UNLOCK_KEY_PREFIX)) {
    throw malformed(`it does not start with "${UNLOCK_KEY_PREFIX}"`);
  }
  const encoded = s.slice(UNLOCK_KEY_PREFIX.length);
  if (encoded.length !== ENCODED_LENGTH) {
    throw malformed(`it has ${encoded.length} characters after the prefix, not ${ENCODED_LENGTH}`);
  }
  if (!BASE64.test(encoded)) throw malformed('it has characters outside base 64');
  const bytes = Buffer.from(encoded, 'base64');
  // The last character carries 2 spare bits; a key with them set is not one we printed.
  if (bytes.toString('base64').replace(/=+$/, '') !== encoded) {
    throw malformed('its last character is not a valid final base-64 digit');
  }
  return new Uint8Array(bytes);
}

export function generateDataKey(random: RandomBytes = cryptoRandomBytes): Uint8Array {
  const key = random(DATA_KEY_BYTES);
  if (key.length !== DATA_KEY_BYTES) {
    throw new RangeError(`random source returned ${key.length} bytes, not ${DATA_KEY_BYTES}`);
  }
  return new Uint8Array(key);
}

function keyEncryptionKey(unlockKey: string | Uint8Array): Uint8Array {
  const bytes = typeof unlockKey === 'string' ? parseUnlockKey(unlockKey) : unlockKey;
  if (bytes.length !== UNLOCK_KEY_BYTES) {
    throw malformed(`it is ${bytes.length} bytes, not ${UNLOCK_KEY_BYTES}`);
  }
  return new Uint8Array(hkdfSync('sha256', bytes, new Uint8Array(0), WRAP_INFO, 32));
}

/** `unlockKey` is the SWMKEY-1-… string or its 32 bytes. */
export function wrapDataKey(
  dataKey: Uint8Array,
  unlockKey: string | Uint8Array,
  random: RandomBytes = cryptoRandomBytes,
): Uint8Array {
  if (dataKey.length !== DATA_KEY_BYTES) {
    throw new RangeError(`a data key is ${DATA_KEY_BYTES} bytes, got ${dataKey.length}`);
  }
  return aesGcmCipher(keyEncryptionKey(unlockKey), random).seal(dataKey, WRAP_AAD);
}

/**
 * The data key, or InvalidUnlockKeyError ('wrong') when the unlock key does not open it. GCM
 * cannot tell a wrong key from a damaged wrapped key, so damage reads as 'wrong' too; only a
 * value too short to be sealed at all, or of an unknown format version, raises DecryptionError.
 */
export function unwrapDataKey(wrapped: Uint8Array, unlockKey: string | Uint8Array): Uint8Array {
  const kek = keyEncryptionKey(unlockKey);
  try {
    return aesGcmCipher(kek).open(wrapped, WRAP_AAD);
  } catch (e) {
    if (e instanceof DecryptionError && e.reason === 'authentication') {
      throw new InvalidUnlockKeyError('wrong', 'the unlock key is wrong');
    }
    throw e;
  }
}
