import { createHash, timingSafeEqual } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { cryptoRandomBytes, objectIdGenerator, type RandomBytes } from '@shoal/common';

/**
 * Swarm-style join tokens: `SWMTKN-1-<digest>-<secret>`.
 *
 * - digest: SHA-256 of the root CA certificate's DER, as a base-36 number zero-padded to 50
 *   characters (36^50 > 2^256). A joining node pins the CA it is shown against this.
 * - secret: 128 random bits in base 36, 25 characters, like an object ID.
 *
 * Parsing is strict (lowercase, no surrounding whitespace): callers that read a token from a
 * terminal or a file trim it first. Tokens are secrets, so no message here ever repeats one.
 */

export const JOIN_TOKEN_PREFIX = 'SWMTKN';
export const JOIN_TOKEN_VERSION = 1;
export const JOIN_TOKEN_DIGEST_LENGTH = 50;
export const JOIN_TOKEN_SECRET_LENGTH = 25;
const JOIN_TOKEN_FORM =
  `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-<CA digest: ${JOIN_TOKEN_DIGEST_LENGTH} ` +
  `characters of [0-9a-z]>-<secret: ${JOIN_TOKEN_SECRET_LENGTH} characters of [0-9a-z]>`;
const BASE36 = /^[0-9a-z]*$/;

export interface ParsedJoinToken {
  version: 1;
  /** 50 characters of base 36, as tokenCaDigest() gives it. */
  caDigest: string;
  /** 25 characters of base 36. */
  secret: string;
}

export class InvalidJoinTokenError extends Error {
  override readonly name = 'InvalidJoinTokenError';
  constructor(problem: string) {
    super(`invalid join token: ${problem}; expected ${JOIN_TOKEN_FORM}`);
  }
}

/** The CA digest as a join token carries it. */
export function tokenCaDigest(caCertPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(caCertPem));
  const hash = createHash('sha256').update(der).digest('hex');
  return BigInt(`0x${hash}`).toString(36).padStart(JOIN_TOKEN_DIGEST_LENGTH, '0');
}

export function generateJoinToken(
  caCertPem: string,
  random: RandomBytes = cryptoRandomBytes,
): string {
  const secret = objectIdGenerator(random)();
  return `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-${tokenCaDigest(caCertPem)}-${secret}`;
}

function checkPart(value: string, what: string, length: number): void {
  if (value.length !== length) {
    throw new InvalidJoinTokenError(
      `the ${what} is ${value.length} characters long, not ${length}`,
    );
  }
  if (!BASE36.test(value)) {
    throw new InvalidJoinTokenError(
      `the ${what} has characters outside lowercase base 36 [0-9a-z]`,
    );
  }
}

export function parseJoinToken(token: string): ParsedJoinToken {
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidJoinTokenError('it is empty');
  }
  if (token.trim() !== token) {
    throw new InvalidJoinTokenError('it has leading or trailing whitespace');
  }
  const parts = token.split('-');
  if (parts[0] !== JOIN_TOKEN_PREFIX) {
    throw new InvalidJoinTokenError(`it does not start with "${JOIN_TOKEN_PREFIX}-"`);
  }
  if (parts.length !== 4) {
    throw new InvalidJoinTokenError(
      `it has ${parts.length} dash-separated parts, not 4 (prefix, version, CA digest, secret)`,
    );
  }
  const [, version, digest, secret] = parts as [string, string, string, string];
  if (version !== String(JOIN_TOKEN_VERSION)) {
    // The version is short and not secret; safe to show, and it helps with a newer peer.
    throw new InvalidJoinTokenError(
      `unsupported token version "${version.slice(0, 8)}" (this build reads version ${JOIN_TOKEN_VERSION})`,
    );
  }
  checkPart(digest, 'CA digest', JOIN_TOKEN_DIGEST_LENGTH);
  checkPart(secret, 'secret', JOIN_TOKEN_SECRET_LENGTH);
  return { version: 1, caDigest: digest, secret };
}

/**
 * Whether the token pins this CA: the joining node's check against the CA a manager presents
 * (a mismatch means a different cluster, or someone in the middle). Throws
 * InvalidJoinTokenError for a malformed token, so that case gets its own message.
 */
export function tokenMatchesCa(token: string, caCertPem: string): boolean {
  const { caDigest } = parseJoinToken(token);
  return caDigest === tokenCaDigest(caCertPem);
}

/**
 * Constant-time comparison of two tokens, for checking a presented token against the current
 * one. Both are hashed first, so the comparison runs on equal-length buffers and reveals
 * neither the content nor the length of the expected token.
 */
export function sameJoinToken(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
