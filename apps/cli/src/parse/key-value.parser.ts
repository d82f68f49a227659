/** Small `key=value` syntaxes shared by several flags: labels, env, filters, scale specs. */
import { UsageError } from '../errors/cli.errors';

/** `k=v` pairs into a map; a bare `k` is an empty-valued label, as with docker's --label. */
export function parseLabels(values: readonly string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (key.trim() === '')
      throw new UsageError(`invalid ${flag} ${JSON.stringify(value)}: empty key`);
    labels[key] = eq < 0 ? '' : value.slice(eq + 1);
  }
  return labels;
}

/**
 * `VAR=value` stays as is; a bare `VAR` takes the value of VAR in the CLI's own environment
 * when it is set there (docker's behaviour, handy for secrets-by-env), else passes through.
 */
export function resolveEnv(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (value.includes('=')) {
    if (value.startsWith('='))
      throw new UsageError(`invalid environment variable ${JSON.stringify(value)}: empty name`);
    return value;
  }
  if (value.trim() === '') throw new UsageError('invalid environment variable "": empty name');
  const local = env[value];
  return local === undefined ? value : `${value}=${local}`;
}

/** The name part of an env entry (`A=b` -> `A`), which is what --env-rm matches on. */
export function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * `-f key=value` flags into the API's filters query value, a JSON `map[string][]string`; several
 * values for one key are ORed by the daemon.
 */
export function parseFilters(values: readonly string[]): Record<string, string[]> | undefined {
  if (values.length === 0) return undefined;
  const filters: Record<string, string[]> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(
        `invalid filter ${JSON.stringify(value)}: expected key=value (e.g. name=web)`,
      );
    }
    const key = value.slice(0, eq).trim().toLowerCase();
    (filters[key] ??= []).push(value.slice(eq + 1));
  }
  return filters;
}

/** `service=replicas` for `service scale`. */
export function parseScaleSpec(value: string): { service: string; replicas: number } {
  const eq = value.lastIndexOf('=');
  const service = eq < 0 ? '' : value.slice(0, eq);
  const count = eq < 0 ? '' : value.slice(eq + 1);
  if (service === '' || !/^\d+$/.test(count) || !Number.isSafeInteger(Number(count))) {
    throw new UsageError(
      `invalid scale specifier ${JSON.stringify(value)}: expected SERVICE=REPLICAS (e.g. web=3)`,
    );
  }
  return { service, replicas: Number(count) };
}
