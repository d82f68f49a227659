import { type Logger } from '@shoal/common';
import { createDaemonRegistry, type NodeInfo, type Registry } from '@shoal/metrics';
import { ConfigError } from '../config/config.loader';
import { type DaemonConfig } from '../config/daemon.config';
import { formatHostPort, parseHostPort } from '../config/host-port';
import { type TlsMaterial } from '../config/tls-files';
import { MetricsServer } from './metrics.server';

/** The daemon's registry when --metrics-addr is set; none (and no collection) otherwise. */
export function daemonRegistry(
  config: DaemonConfig,
  version: string,
  nodeInfo: () => NodeInfo | undefined,
): Registry | undefined {
  return config.metricsAddr ? createDaemonRegistry({ version, nodeInfo }) : undefined;
}

/**
 * Serves the registry on --metrics-addr, over TLS with `tls` (the --tls-* files, read and
 * checked once by the caller) unless the address is loopback. Logs `metrics listening` with
 * the bound address, which tests that ask for port 0 read back.
 */
export async function startMetricsEndpoint(
  config: DaemonConfig,
  registry: Registry,
  logger: Logger,
  tls: TlsMaterial | undefined,
): Promise<MetricsServer> {
  const listen = parseHostPort(config.metricsAddr ?? '', { allowPortZero: true });
  // The loader has validated it; this only keeps a direct caller honest.
  if (typeof listen === 'string') throw new ConfigError([`--metrics-addr: ${listen}`]);
  const server = await MetricsServer.start({
    listen,
    registry,
    tls,
    logger,
  });
  logger.info('metrics listening', {
    address: formatHostPort(server.address),
    url: server.url,
    tls: server.tls,
  });
  return server;
}
