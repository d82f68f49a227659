import { isIPv4, isIPv6 } from 'node:net';
import { type Driver, type Platform } from '../swarm/common.types';
import { type LogDriver } from '../swarm/task-spec.types';
import {
  arrayOf,
  check,
  type Check,
  expected,
  integer,
  invalid,
  matching,
  nonEmptyString,
  object,
  required,
  string,
  stringMap,
} from './field-schema';

/** Go's int64 upper bound, as near as a double gets. */
export const INT64_MAX = 2 ** 63;
export const UINT32_MAX = 2 ** 32 - 1;

export const nonNegativeInteger = integer(0, INT64_MAX, 'a non-negative integer');
export const positiveInteger = integer(1, INT64_MAX, 'a positive integer');

/** Go's time.Duration in JSON. Negative durations mean nothing anywhere in the swarm API. */
export const duration = integer(0, INT64_MAX, 'a non-negative integer of nanoseconds');

export const labels = stringMap;
export const stringList = arrayOf(string, 'an array of strings');

/** Unix permission bits as a decimal integer, setuid/setgid/sticky included. */
export const fileMode = integer(0, 0o7777, 'a file mode from 0 to 4095 (0o7777) as a decimal');

export const platform = object<Platform>({ Architecture: string, OS: string });

export const logDriver = object<LogDriver>({ Name: string, Options: stringMap });

export const driver = object<Driver>({ Name: required(nonEmptyString), Options: stringMap });

// Service names become DNS labels and task-name prefixes (<service>.<slot>.<task>), so,
// as in swarmkit: no dots, letters or digits at both ends, at most 63 characters.
const SERVICE_NAME = /^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9]+)*$/;
export const serviceName: Check<string> = check(
  'a name of up to 63 characters: letters, digits, "-" and "_", starting and ending with a letter or digit',
  (value, path) => {
    if (typeof value !== 'string' || value.length > 63 || !SERVICE_NAME.test(value)) {
      throw expected(path, serviceName.what, value);
    }
    return value;
  },
);

// swarmkit's rule for secret and config names.
const OBJECT_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;
export const secretOrConfigName: Check<string> = check(
  'a name of up to 64 characters of [a-zA-Z0-9_.-], starting and ending with [a-zA-Z0-9]',
  (value, path) => {
    if (typeof value !== 'string' || value.length > 64 || !OBJECT_NAME.test(value)) {
      throw expected(path, secretOrConfigName.what, value);
    }
    return value;
  },
);

// Written from the distribution reference grammar: [domain/]path[:tag][@digest].
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

/** An image reference such as `nginx`, `nginx:1.27` or `registry:5000/team/app@sha256:...`. */
export const imageReference: Check<string> = check(
  'an image reference such as nginx:1.27 (lower-case repository, optional :tag and @digest)',
  (value, path) => {
    // Bounded before matching so a huge string cannot make the regex slow.
    const match =
      typeof value === 'string' && value.length <= 1024 ? IMAGE_REFERENCE.exec(value) : null;
    if (match === null || (match[1]?.length ?? 0) > 255) {
      throw expected(path, imageReference.what, value);
    }
    return value as string;
  },
);

/** `KEY=VALUE`, or `KEY` alone to pass the engine's value through. */
export const envEntry = matching(/^[^=]+(?:=[\s\S]*)?$/, 'KEY=VALUE or KEY with a non-empty KEY');

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's encoding/json reads []byte as padded standard base64 and skips line breaks. */
export function base64DecodedLength(text: string): number | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (!BASE64.test(compact)) return undefined;
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return (compact.length / 4) * 3 - padding;
}

export const base64: Check<string> = check('standard base64 (padded)', (value, path) => {
  if (typeof value !== 'string' || base64DecodedLength(value) === undefined) {
    throw expected(path, 'standard base64 (padded)', value);
  }
  return value;
});

export interface ParsedCidr {
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefix)) return undefined;
  const prefixLength = Number(prefix);
  if (isIPv4(address) && prefixLength <= 32) return { family: 4, address, prefixLength };
  if (isIPv6(address) && !address.includes('%') && prefixLength <= 128) {
    return { family: 6, address, prefixLength };
  }
  return undefined;
}

export const cidr: Check<string> = check('a CIDR such as 10.0.0.0/8', (value, path) => {
  if (typeof value !== 'string' || parseCidr(value) === undefined) {
    throw expected(path, 'a CIDR such as 10.0.0.0/8', value);
  }
  return value;
});

/** A TCP/UDP port number, 1..65535. */
export const port = integer(1, 65535);

/**
 * Checks the decoded size of a secret's or config's Data. Data may be left out when
 * `optional` (an update, which may only change labels, or a secret held by a driver).
 */
export function checkDataSize(
  data: string | undefined,
  path: string,
  maxBytes: number,
  optional: boolean,
): void {
  if (data === undefined && optional) return;
  const size = data === undefined ? 0 : (base64DecodedLength(data) ?? 0);
  if (size === 0 || size > maxBytes) {
    throw invalid(
      `${path}.Data`,
      `expected between 1 and ${maxBytes} bytes once base64-decoded, got ${size}`,
    );
  }
}
