import http from 'node:http';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { type Logger } from '@shoal/common';
import { type Registry } from '@shoal/metrics';
import { ConfigError } from '../config/config.loader';
import { formatHostPort, type HostPort, isLoopbackHost } from '../config/host-port';
import { type TlsMaterial } from '../config/tls-files';

/**
 * PEM text of the server's certificate and key, and of the CA client certificates chain to:
 * --tls-ca/--tls-cert/--tls-key, read and checked once at start by readTlsFiles.
 */
export type MetricsTls = TlsMaterial;

export interface MetricsServerOptions {
  listen: HostPort;
  registry: Registry;
  /** Required unless `listen` is a loopback host, where the endpoint is plain HTTP. */
  tls?: MetricsTls;
  logger: Logger;
}

const PATH = '/metrics';

/**
 * Prometheus's endpoint: `GET /metrics` (and HEAD) in the registry's text format. On a
 * loopback address it is plain HTTP, like dockerd's metrics-addr; anywhere else it is HTTPS
 * and only answers clients presenting a certificate signed by the configured CA, since the
 * series name every node, service and task of the cluster.
 */
export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly address: HostPort,
    readonly tls: boolean,
  ) {}

  static async start(o: MetricsServerOptions): Promise<MetricsServer> {
    const log = o.logger.child({ component: 'metrics' });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) =>
      serve(o.registry, log, req, res).catch((err: Error) => {
        log.warn('metrics request failed', { err: err.message });
        res.destroy();
      });
    const plain = isLoopbackHost(o.listen.host);
    if (!plain && !o.tls) {
      throw new ConfigError([
        `--metrics-addr ${formatHostPort(o.listen)} is not a loopback address and needs --tls-ca, --tls-cert and --tls-key`,
      ]);
    }
    const server = plain ? http.createServer(handler) : httpsServer(o.tls!, handler);
    server.on('tlsClientError', (err: Error) =>
      log.debug('metrics client refused', { err: err.message }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listen.port, o.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error('metrics server error', { err: err.message }));
    const bound = server.address() as AddressInfo;
    return new MetricsServer(server, { host: o.listen.host, port: bound.port }, !plain);
  }

  /** The endpoint's URL, with the port as bound (the real one when 0 was asked for). */
  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${formatHostPort(this.address)}${PATH}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A scraper's keep-alive connection must not hold the daemon's stop.
    this.server.closeAllConnections();
    await closed;
  }
}

function httpsServer(tls: MetricsTls, handler: http.RequestListener): https.Server {
  try {
    return https.createServer(
      { ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      handler,
    );
  } catch (err) {
    // A key that does not match the certificate, or PEM that does not parse.
    throw new ConfigError([
      `--tls-ca/--tls-cert/--tls-key: unusable for --metrics-addr: ${(err as Error).message}`,
    ]);
  }
}

async function serve(
  registry: Registry,
  log: Logger,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== PATH) return reply(res, 404, `not found: the metrics are at ${PATH}\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, `method ${req.method} not allowed: use GET or HEAD\n`);
  }
  let body: string;
  try {
    body = await registry.metrics();
  } catch (err) {
    // One broken collector costs this scrape, never the daemon.
    log.warn('metrics scrape failed', { err: (err as Error).message });
    return reply(res, 500, `collecting metrics failed: ${(err as Error).message}\n`);
  }
  res.writeHead(200, {
    'Content-Type': registry.contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function reply(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
