import { InvalidArgumentError } from '../errors/api-error';
import { isJsonObject } from './field-schema';

/** Filters each list endpoint accepts, per the v1.44 spec. */
export const SERVICE_FILTERS = ['id', 'label', 'mode', 'name'] as const;
export const NODE_FILTERS = ['id', 'label', 'membership', 'name', 'node.label', 'role'] as const;
export const TASK_FILTERS = ['desired-state', 'id', 'label', 'name', 'node', 'service'] as const;
export const SECRET_FILTERS = ['id', 'label', 'name', 'names'] as const;
export const CONFIG_FILTERS = ['id', 'label', 'name', 'names'] as const;
export const NETWORK_FILTERS = [
  'dangling',
  'driver',
  'id',
  'label',
  'name',
  'scope',
  'type',
] as const;
export const EVENT_FILTERS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
] as const;

const SHAPE =
  'expected a JSON object mapping each filter to {"value": true, ...} or to an array of strings';

/**
 * Parses Docker's `filters` query parameter: a JSON object mapping each filter name to the
 * values wanted, either as a `{"value": true}` set (what current clients send) or as an
 * array of strings (what clients before API 1.22 sent). As in dockerd, every key of a set
 * counts whatever its boolean. Absent or empty means no filters.
 */
export function parseFilters(
  raw: string | undefined,
  accepted: readonly string[],
): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  if (raw === undefined || raw.trim() === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(
      `invalid filters: ${err instanceof Error ? err.message : String(err)}; ${SHAPE}`,
    );
  }
  if (parsed === null) return filters;
  if (!isJsonObject(parsed)) throw new InvalidArgumentError(`invalid filters: ${SHAPE}`);
  for (const name of Object.keys(parsed)) {
    if (!accepted.includes(name)) {
      throw new InvalidArgumentError(
        `invalid filter '${name}' (accepted: ${accepted.length > 0 ? accepted.join(', ') : 'none'})`,
      );
    }
    const values = filterValues(parsed[name]);
    if (values === undefined) throw new InvalidArgumentError(`invalid filter '${name}': ${SHAPE}`);
    filters.set(name, values);
  }
  return filters;
}

function filterValues(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    if (!value.every((v): v is string => typeof v === 'string')) return undefined;
    return [...new Set(value)];
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (!keys.every((k) => typeof value[k] === 'boolean')) return undefined;
    return keys;
  }
  return undefined;
}

/**
 * Docker's label filter: each value is `key` (the label must exist) or `key=value` (it must
 * have that value), and an object must satisfy all of them. No values means no filtering.
 */
export function matchLabelFilter(
  labels: Readonly<Record<string, string>> | undefined,
  filterValues: readonly string[] | undefined,
): boolean {
  if (filterValues === undefined || filterValues.length === 0) return true;
  if (labels === undefined) return false;
  return filterValues.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
    return eq < 0 || labels[key] === filter.slice(eq + 1);
  });
}
