import os from 'node:os';
import { METRICS_ADDR_LABEL } from '../api/discovery/metrics-targets';
import { formatHostPort, type HostPort, parseHostPort } from '../config/host-port';

/** Go's GOARCH names, which Docker reports (and constraints match on: node.platform.arch). */
const GO_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  arm: 'armv7l',
  ia32: 'i386',
};

/** The NodeDescription this host reports, in the Docker API's shape. */
export function describeHost(
  version: string,
  executor: string,
  engineLabels: Record<string, string> = {},
): Record<string, unknown> {
  return {
    Hostname: os.hostname(),
    Platform: { Architecture: GO_ARCH[process.arch] ?? process.arch, OS: 'linux' },
    Resources: {
      NanoCPUs: os.availableParallelism() * 1e9,
      MemoryBytes: os.totalmem(),
    },
    Engine: {
      EngineVersion: version,
      Labels: { ...engineLabels, 'shoal.executor': executor },
      Plugins: [],
    },
  };
}

/**
 * The engine label that tells managers (and so GET /metrics/targets) where this node serves
 * /metrics. A wildcard host (0.0.0.0, ::) is replaced by the node's advertise host, the
 * address other nodes reach it at; the port is the bound one when known (port 0 binds a free
 * port). No label when metrics are off, or the port is 0 and not bound yet: a wrong address
 * would only produce a target that is always down.
 */
export function metricsEngineLabels(
  metricsAddr: string | undefined,
  bound: HostPort | undefined,
  advertiseHost: string | undefined,
): Record<string, string> {
  if (!metricsAddr) return {};
  const configured = parseHostPort(metricsAddr, { allowPortZero: true });
  if (typeof configured === 'string') return {};
  const port = bound?.port ?? configured.port;
  let host = configured.host;
  if (host === '0.0.0.0' || host === '::') {
    if (!advertiseHost) return {};
    host = advertiseHost;
  }
  if (port === 0) return {};
  return { [METRICS_ADDR_LABEL]: formatHostPort({ host, port }) };
}
