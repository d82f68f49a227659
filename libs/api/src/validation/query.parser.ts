import { InvalidArgumentError } from '../errors/api-error';
import { type ServiceUpdateQuery } from '../swarm/service.types';
import { type SwarmUpdateQuery } from '../swarm/swarm.types';

/**
 * Query parameters as a web framework hands them over: a string, an array of strings when a
 * parameter repeats (the first one counts, as with Go's FormValue), or nothing.
 */
function single(name: string, raw: unknown): string | undefined {
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidArgumentError(`invalid query parameter ${name}: expected a single value`);
}

const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['', '0', 'false', 'no', 'none']);

/**
 * A boolean query parameter: 1, true, yes or 0, false, no, none (any case), or empty for
 * false. dockerd reads any other value as true; Shoal refuses it, since `force=ture` is more
 * likely a typo than a request to force.
 */
export function parseBoolQuery(name: string, raw: unknown, defaultValue = false): boolean {
  const text = single(name, raw);
  if (text === undefined) return defaultValue;
  const value = text.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new InvalidArgumentError(
    `invalid query parameter ${name}: expected a boolean (1, true, yes or 0, false, no), got ${JSON.stringify(text)}`,
  );
}

export interface IntQueryOptions {
  /** Inclusive; 0 unless given. */
  min?: number;
  /** Inclusive; Number.MAX_SAFE_INTEGER unless given. */
  max?: number;
  /** Returned when the parameter is absent. Without it, the parameter is required. */
  defaultValue?: number;
}

/** An integer query parameter in decimal, e.g. `version=12`. */
export function parseIntQuery(name: string, raw: unknown, options: IntQueryOptions = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, defaultValue } = options;
  const range =
    min === 0 && max === Number.MAX_SAFE_INTEGER
      ? 'a non-negative integer'
      : `an integer from ${min} to ${max}`;
  const text = single(name, raw);
  if (text === undefined || text === '') {
    if (defaultValue !== undefined) return defaultValue;
    throw new InvalidArgumentError(`missing query parameter ${name}: expected ${range}`);
  }
  const value = /^[+-]?[0-9]+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `invalid query parameter ${name}: expected ${range}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

type Query = Readonly<Record<string, unknown>>;

/** The query of POST /swarm/update. */
export function parseSwarmUpdateQuery(query: Query): SwarmUpdateQuery {
  return {
    version: parseIntQuery('version', query['version']),
    rotateWorkerToken: parseBoolQuery('rotateWorkerToken', query['rotateWorkerToken']),
    rotateManagerToken: parseBoolQuery('rotateManagerToken', query['rotateManagerToken']),
    rotateManagerUnlockKey: parseBoolQuery(
      'rotateManagerUnlockKey',
      query['rotateManagerUnlockKey'],
    ),
  };
}

/** The query of POST /services/{id}/update. */
export function parseServiceUpdateQuery(query: Query): ServiceUpdateQuery {
  const registryAuthFrom = single('registryAuthFrom', query['registryAuthFrom']) || 'spec';
  if (registryAuthFrom !== 'spec' && registryAuthFrom !== 'previous-spec') {
    throw new InvalidArgumentError(
      `invalid query parameter registryAuthFrom: expected spec or previous-spec, got ${JSON.stringify(registryAuthFrom)}`,
    );
  }
  const rollback = single('rollback', query['rollback']) ?? '';
  if (rollback !== '' && rollback !== 'previous') {
    throw new InvalidArgumentError(
      `invalid query parameter rollback: expected previous (or nothing), got ${JSON.stringify(rollback)}`,
    );
  }
  return {
    version: parseIntQuery('version', query['version']),
    registryAuthFrom,
    rollback: rollback === 'previous',
  };
}
