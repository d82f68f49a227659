import { InvalidArgumentError } from '@shoal/api';
import { API_VERSION, MIN_API_VERSION, compareApiVersions } from './api-version';
import { type ApiRequest, type ApiResponse, type NextFunction } from './http.types';

/** Docker's router pattern: `/v{version:[0-9.]+}` then the endpoint's path. */
const PREFIX = /^\/v([0-9.]+)(?=\/|\?|$)/;

/**
 * What a version prefix means for a request: strip it, or refuse with Docker's message.
 * Pure, so the rules unit-test without HTTP.
 */
export function resolveVersionPrefix(
  url: string,
): { url: string; version?: string } | { error: string } {
  const m = PREFIX.exec(url);
  if (!m) return { url };
  const version = m[1]!;
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    return {
      error: `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    };
  }
  if (compareApiVersions(version, API_VERSION) > 0) {
    return {
      error: `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
    };
  }
  const rest = url.slice(m[0].length);
  return { url: rest.startsWith('/') ? rest : `/${rest}`, version };
}

/**
 * Rewrites `/v1.44/services` to `/services` before routing, so controllers declare each path
 * once. The version is not otherwise used: every accepted version gets the v1.44 shapes, as
 * nothing between 1.24 and 1.44 changed the swarm endpoints in a way the clients rely on.
 * Docker answers 400 for versions out of range; so do we, before routing.
 */
export function versionPrefixMiddleware() {
  return (req: ApiRequest, _res: ApiResponse, next: NextFunction): void => {
    const resolved = resolveVersionPrefix(req.url);
    if ('error' in resolved) {
      next(new InvalidArgumentError(resolved.error));
      return;
    }
    req.url = resolved.url;
    next();
  };
}
