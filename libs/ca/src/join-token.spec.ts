import { seededRandomBytes } from '@shoal/common';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { caDigest, createRootCa, type RootCa } from './certificate-authority';
import {
  InvalidJoinTokenError,
  generateJoinToken,
  parseJoinToken,
  sameJoinToken,
  tokenCaDigest,
  tokenMatchesCa,
} from './join-token';

const FORM =
  'expected SWMTKN-1-<CA digest: 50 characters of [0-9a-z]>-<secret: 25 characters of [0-9a-z]>';
const DIGEST = 'a'.repeat(50);
const SECRET = 'b'.repeat(25);

function parseMessage(token: string): string {
  try {
    parseJoinToken(token);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidJoinTokenError);
    return (e as Error).message;
  }
  throw new Error('expected parseJoinToken to throw');
}

describe('join tokens', () => {
  let ca: RootCa;
  let otherCa: RootCa;
  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createRootCa(), createRootCa()]);
  });

  it('have the form SWMTKN-1-<50 base-36 digest>-<25 base-36 secret>', () => {
    const token = generateJoinToken(ca.certPem);
    expect(token).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(parseJoinToken(token)).toEqual({
      version: 1,
      caDigest: tokenCaDigest(ca.certPem),
      secret: token.slice(-25),
    });
  });

  it('carry the SHA-256 of the CA DER in base 36, the same number caDigest gives in hex', () => {
    const digest = tokenCaDigest(ca.certPem);
    expect(digest).toHaveLength(50);
    expect(
      BigInt(`0x${caDigest(ca.certPem)}`)
        .toString(36)
        .padStart(50, '0'),
    ).toBe(digest);
  });

  it('draw their secret from the injected random source', () => {
    const a = generateJoinToken(ca.certPem, seededRandomBytes(9));
    expect(generateJoinToken(ca.certPem, seededRandomBytes(9))).toBe(a);
    expect(generateJoinToken(ca.certPem, seededRandomBytes(10))).not.toBe(a);
    expect(generateJoinToken(ca.certPem)).not.toBe(generateJoinToken(ca.certPem));
  });

  it('match the CA they were made for and no other', () => {
    const token = generateJoinToken(ca.certPem);
    expect(tokenMatchesCa(token, ca.certPem)).toBe(true);
    expect(tokenMatchesCa(token, otherCa.certPem)).toBe(false);
    expect(() => tokenMatchesCa('SWMTKN-1-short-x', ca.certPem)).toThrow(InvalidJoinTokenError);
  });

  it('compare in constant time, whatever their lengths', () => {
    const token = generateJoinToken(ca.certPem);
    expect(sameJoinToken(token, token.slice(0))).toBe(true);
    expect(sameJoinToken(token, generateJoinToken(ca.certPem))).toBe(false);
    expect(sameJoinToken(token, token.slice(0, -1))).toBe(false);
    expect(sameJoinToken(token, '')).toBe(false);
    expect(sameJoinToken('', '')).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    [` SWMTKN-1-${DIGEST}-${SECRET}`, 'it has leading or trailing whitespace'],
    [`SWMTKN-1-${DIGEST}-${SECRET}\n`, 'it has leading or trailing whitespace'],
    [`SWMKEY-1-${DIGEST}-${SECRET}`, 'it does not start with "SWMTKN-"'],
    [`swmtkn-1-${DIGEST}-${SECRET}`, 'it does not start with "SWMTKN-"'],
    [
      `SWMTKN-1-${DIGEST}`,
      'it has 3 dash-separated parts, not 4 (prefix, version, CA digest, secret)',
    ],
    [
      `SWMTKN-1-${DIGEST}-${SECRET}-x`,
      'it has 5 dash-separated parts, not 4 (prefix, version, CA digest, secret)',
    ],
    [`SWMTKN-2-${DIGEST}-${SECRET}`, 'unsupported token version "2" (this build reads version 1)'],
    [`SWMTKN-1-${DIGEST.slice(1)}-${SECRET}`, 'the CA digest is 49 characters long, not 50'],
    [
      `SWMTKN-1-${DIGEST.toUpperCase()}-${SECRET}`,
      'the CA digest has characters outside lowercase base 36 [0-9a-z]',
    ],
    [`SWMTKN-1-${DIGEST}-${SECRET}b`, 'the secret is 26 characters long, not 25'],
    [
      `SWMTKN-1-${DIGEST}-${'_'.repeat(25)}`,
      'the secret has characters outside lowercase base 36 [0-9a-z]',
    ],
  ])('refuse %j: %s', (token, problem) => {
    expect(parseMessage(token)).toBe(`invalid join token: ${problem}; ${FORM}`);
  });

  it('never repeat the token in their errors', () => {
    const secret = 'zq9'.repeat(8) + 'z';
    const message = parseMessage(`SWMTKN-1-${DIGEST}X-${secret}`);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(DIGEST);
  });

  it('property: parsing a random string returns or throws InvalidJoinTokenError, nothing else', () => {
    const tokenish = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc
        .tuple(
          fc.constantFrom('SWMTKN', 'SWMKEY', ''),
          fc.constantFrom('1', '2', ''),
          fc.stringMatching(/^[0-9a-zA-Z_-]{0,55}$/),
          fc.stringMatching(/^[0-9a-zA-Z_-]{0,30}$/),
        )
        .map((parts) => parts.join('-')),
    );
    fc.assert(
      fc.property(tokenish, (s) => {
        try {
          const parsed = parseJoinToken(s);
          expect(`SWMTKN-1-${parsed.caDigest}-${parsed.secret}`).toBe(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidJoinTokenError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('property: every generated token parses back to its parts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const token = generateJoinToken(ca.certPem, seededRandomBytes(seed));
        const parsed = parseJoinToken(token);
        expect(parsed.caDigest).toBe(tokenCaDigest(ca.certPem));
        expect(token.endsWith(`-${parsed.secret}`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
