import os from 'node:os';
import { METRICS_ADDR_LABEL } from '../api/discovery/metrics-targets';
import { formatHostPort, type HostPort, isLoopbackHost, parseHostPort } from '../config/host-port';

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
 *
 * A loopback host (127.0.0.1:9323) names this machine only for this machine: published
 * cluster-wide, a Prometheus elsewhere would scrape its own host and file the result under
 * this node. It is published only when the advertise host is loopback as well, i.e. every
 * node of the swarm runs on this one host (tests, a single-host cluster).
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
  } else if (isLoopbackHost(host) && !(advertiseHost && isLoopbackHost(advertiseHost))) {
    return {};
  }
  if (port === 0) return {};
  return { [METRICS_ADDR_LABEL]: formatHostPort({ host, port }) };
}
