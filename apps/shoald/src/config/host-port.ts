import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

// RFC 1123 host names: labels of letters, digits and inner hyphens.
const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * Parses `host:port`, `[v6]:port`, or (when `defaultPort` is given) a bare host. Returns an
 * error message saying what is accepted instead of throwing, so callers can name the setting.
 */
export function parseHostPort(
  value: string,
  opts: { defaultPort?: number; allowPortZero?: boolean } = {},
): HostPort | string {
  const accepted = 'expected host:port, e.g. 0.0.0.0:7377, [::1]:7377 or node1.example:7377';
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (isIP(host) !== 6) return `"${value}" is not a valid address: ${accepted}`;
  } else {
    const i = value.lastIndexOf(':');
    if (i >= 0 && value.indexOf(':') !== i) {
      return `"${value}" is not a valid address: put IPv6 addresses in brackets; ${accepted}`;
    }
    host = i >= 0 ? value.slice(0, i) : value;
    portText = i >= 0 ? value.slice(i + 1) : undefined;
    if (!isIP(host) && !HOSTNAME.test(host)) {
      return `"${value}" is not a valid address: "${host}" is neither an IP address nor a host name; ${accepted}`;
    }
  }
  if (portText === undefined) {
    if (opts.defaultPort === undefined) return `"${value}" has no port: ${accepted}`;
    return { host, port: opts.defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText))
    return `"${value}" has an invalid port "${portText}": ${accepted}`;
  const port = Number(portText);
  const min = opts.allowPortZero ? 0 : 1;
  if (port < min || port > 65535) {
    return `"${value}" has port ${port} out of range ${min}-65535`;
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * True for 127.0.0.0/8, ::1 and "localhost": the hosts an unauthenticated listener may bind,
 * since only this machine's processes reach them.
 */
export function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}
