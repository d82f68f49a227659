/**
 * Where the daemon listens, as given by `-H/--host` or SHOAL_HOST, in docker's DOCKER_HOST
 * forms: `unix:///run/shoal/shoal.sock`, a bare `/run/shoal/shoal.sock`, or `tcp://host:port`.
 */
import { UsageError } from '../errors/cli.errors';

export const DEFAULT_HOST = 'unix:///run/shoal/shoal.sock';
export const HOST_SYNTAX = 'expected unix:///path/to.sock, /path/to.sock or tcp://host:port';

export type DaemonHost =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; hostname: string; port: number; display: string };

export function parseDaemonHost(value: string, source = '--host'): DaemonHost {
  const invalid = (why: string): UsageError =>
    new UsageError(`invalid ${source} ${JSON.stringify(value)}: ${why}; ${HOST_SYNTAX}`);
  const input = value.trim();
  if (input === '') throw invalid('empty value');

  if (input.startsWith('/')) return { kind: 'unix', socketPath: input, display: `unix://${input}` };
  if (input.startsWith('unix://')) {
    const socketPath = input.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalid('a unix socket path must be absolute');
    return { kind: 'unix', socketPath, display: input };
  }
  if (input.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw invalid('not a valid address');
    }
    if (url.pathname !== '/' && url.pathname !== '') throw invalid('a tcp address takes no path');
    if (url.port === '') throw invalid('a tcp address needs a port');
    // URL keeps IPv6 literals bracketed; http.request wants them bare.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (hostname === '') throw invalid('a tcp address needs a host');
    return { kind: 'tcp', hostname, port: Number(url.port), display: `tcp://${url.host}` };
  }
  throw invalid('unsupported scheme');
}

/** -H wins over SHOAL_HOST, which wins over the default socket. */
export function resolveDaemonHost(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): DaemonHost {
  if (flag !== undefined) return parseDaemonHost(flag, '--host');
  const fromEnv = env.SHOAL_HOST;
  if (fromEnv !== undefined && fromEnv !== '') return parseDaemonHost(fromEnv, 'SHOAL_HOST');
  return parseDaemonHost(DEFAULT_HOST);
}
