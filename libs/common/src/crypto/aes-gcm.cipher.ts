import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { cryptoRandomBytes, type RandomBytes } from '../ids';

/**
 * Authenticated encryption for data at rest (Raft WAL and snapshots, the CA key, wrapped data
 * keys). Sealed layout, version 1:
 *
 *   version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
 *
 * The version byte is authenticated too (it is prefixed to the caller's associated data), so a
 * future format cannot be confused with this one. Random 96-bit nonces are safe for far more
 * messages than one key will ever seal here (NIST SP 800-38D's 2^32 limit).
 */
export interface AtRestCipher {
  seal(plain: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Throws DecryptionError; never returns data whose tag did not verify. */
  open(sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
}

export type DecryptionFailure = 'truncated' | 'unknown-version' | 'authentication';

/** Sealed data could not be opened. The message never includes key or plaintext material. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  constructor(
    readonly reason: DecryptionFailure,
    message: string,
  ) {
    super(message);
  }
}

export const AES_GCM_KEY_BYTES = 32;
export const SEALED_FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
/** The sealed size of an empty plaintext: every sealed value is at least this long. */
export const SEALED_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
const ALGORITHM = 'aes-256-gcm';

/**
 * Plain, unpooled Uint8Array: Buffer.concat may place small results (such as a decrypted data
 * key) in Node's shared allocation pool, reachable through `.buffer`.
 */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function aesGcmCipher(
  key: Uint8Array,
  random: RandomBytes = cryptoRandomBytes,
): AtRestCipher {
  if (key.length !== AES_GCM_KEY_BYTES) {
    throw new RangeError(
      `AES-256-GCM needs a ${AES_GCM_KEY_BYTES}-byte key, got ${key.length} bytes`,
    );
  }
  // A copy: the caller may wipe or reuse its buffer.
  const secret: KeyObject = createSecretKey(Buffer.from(key));
  const version = Uint8Array.of(SEALED_FORMAT_VERSION);
  const associated = (aad: Uint8Array | undefined): Buffer =>
    aad ? Buffer.concat([version, aad]) : Buffer.from(version);

  return {
    seal(plain, aad) {
      const nonce = random(NONCE_BYTES);
      if (nonce.length !== NONCE_BYTES) {
        throw new RangeError(`random source returned ${nonce.length} bytes, not ${NONCE_BYTES}`);
      }
      const cipher = createCipheriv(ALGORITHM, secret, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(associated(aad));
      const body = [cipher.update(plain), cipher.final()];
      return concat([version, nonce, ...body, cipher.getAuthTag()]);
    },

    open(sealed, aad) {
      if (sealed.length < SEALED_OVERHEAD_BYTES) {
        throw new DecryptionError(
          'truncated',
          `cannot decrypt: sealed data is ${sealed.length} bytes, shorter than the ` +
            `${SEALED_OVERHEAD_BYTES}-byte minimum (truncated or not sealed data)`,
        );
      }
      if (sealed[0] !== SEALED_FORMAT_VERSION) {
        throw new DecryptionError(
          'unknown-version',
          `cannot decrypt: unknown sealed-data format version ${sealed[0]} ` +
            `(this build reads version ${SEALED_FORMAT_VERSION})`,
        );
      }
      const nonce = sealed.subarray(1, HEADER_BYTES);
      const body = sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES);
      const tag = sealed.subarray(sealed.length - TAG_BYTES);
      const decipher = createDecipheriv(ALGORITHM, secret, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associated(aad));
      decipher.setAuthTag(tag);
      const head = decipher.update(body);
      try {
        // GCM releases plaintext before checking the tag; only final() authenticates it, so
        // nothing is returned (or kept) unless it succeeds.
        const tail = decipher.final();
        const plain = concat([head, tail]);
        head.fill(0);
        return plain;
      } catch {
        head.fill(0);
        throw new DecryptionError(
          'authentication',
          'cannot decrypt: authentication failed (wrong key, or the data or its associated ' +
            'data was altered or truncated)',
        );
      }
    },
  };
}
