import { type IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../../config/host-port';
import { type ApiRequest, type ApiResponse, type NextFunction } from './http.types';

/**
 * What the read-only listener serves, as paths after the optional /v1.xx prefix; `{id}` is
 * one path segment. An allow-list, not a deny-list: GET /swarm carries the join tokens (the
 * manager one is full control of the cluster) and GET /swarm/unlockkey the unlock key, and
 * logs may hold anything a task printed, so only what discovery, monitoring and read-only
 * tools need is here. Anything added to the API later stays off this listener until listed.
 */
export const READ_ONLY_ENDPOINTS: readonly string[] = [
  '/_ping',
  '/version',
  '/info',
  '/nodes',
  '/nodes/{id}',
  '/services',
  '/services/{id}',
  '/tasks',
  '/tasks/{id}',
  '/networks',
  '/networks/{id}',
  '/events',
  '/events/ws',
  '/metrics/targets',
];

/** Express routes `/nodes/` like `/nodes`, so a trailing slash is the same endpoint. */
const ALLOWED = READ_ONLY_ENDPOINTS.map((e) => new RegExp(`^${e.replace(/\{id\}/g, '[^/]+')}/?$`));

/** Docker's version prefix; its range is checked later, by the version-prefix middleware. */
const VERSION_PREFIX = /^\/v[0-9.]+(?=\/|$)/;

export const READ_ONLY_MESSAGE = `this API listener (--api-readonly-addr) is read-only: it serves GET and HEAD of ${READ_ONLY_ENDPOINTS.join(', ')} (optionally under /v1.xx) and nothing else; use the unix socket or the mutual-TLS listener (--api-addr) for the rest`;

/** The parts of a request the rules read: an Express request or a raw upgrade request. */
export interface ReadOnlyRequest {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

/**
 * Why the unauthenticated loopback listener refuses `req` (always with 403), or undefined
 * when it may be served. Used both by the Express middleware and by the WebSocket upgrade
 * hook, which Express never sees.
 * - Host must be localhost or a loopback IP (any port): a browser tricked by DNS rebinding
 *   into sending a page's requests here still names the attacker's host.
 * - An Origin, when sent, must be a loopback one too: browsers send it on cross-site
 *   requests, and WebSockets are not protected by CORS at all.
 * - Only GET and HEAD of READ_ONLY_ENDPOINTS.
 * An absent Host (HTTP/1.0; Node refuses HTTP/1.1 without one) or Origin (any non-browser
 * client) proves nothing either way and is let through.
 */
export function readOnlyRefusal(req: ReadOnlyRequest): string | undefined {
  const host = req.headers.host;
  if (host !== undefined && !isLoopbackHostHeader(host)) {
    return `Host "${host}" refused: the read-only API (--api-readonly-addr) only answers requests addressed to localhost or a loopback IP, against DNS rebinding`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return `Origin "${origin}" refused: the read-only API (--api-readonly-addr) only answers pages served from localhost or a loopback IP`;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return READ_ONLY_MESSAGE;
  const url = req.url ?? '/';
  // The allow-list reads the target as written; Express's router does not always (with a
  // '#' in it, it falls back to url.parse, which turns '\' into '/': `/tasks/x\logs#` would
  // pass as a task ID yet be routed to the logs). No client of these endpoints sends either
  // character, nor control characters, so such targets are refused outright.
  if (url.includes('\\') || url.includes('#') || hasControlCharacter(url)) return READ_ONLY_MESSAGE;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(VERSION_PREFIX, '');
  return ALLOWED.some((re) => re.test(path)) ? undefined : READ_ONLY_MESSAGE;
}

/**
 * For the unauthenticated loopback listener: whatever readOnlyRefusal refuses gets 403
 * before routing, body parsing or any handler runs. The body is Docker's error shape, so
 * the docker CLI prints the message.
 */
export function readOnlyMiddleware() {
  return (req: ApiRequest, res: ApiResponse, next: NextFunction): void => {
    const refusal = readOnlyRefusal(req);
    if (refusal === undefined) {
      next();
      return;
    }
    res.statusCode = 403;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ message: refusal }));
  };
}

/** `localhost`, `127.0.0.1`, `[::1]`, each with an optional `:port`. */
function isLoopbackHostHeader(value: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(value.trim());
  if (!m) return false;
  return isLoopbackHost((m[1] ?? m[2]!).toLowerCase());
}

/** An http(s) origin on a loopback host. `null` (sandboxed pages, file:) is not. */
function isLoopbackOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isLoopbackHost(host);
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
