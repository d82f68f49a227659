import { type INestApplication } from '@nestjs/common';
import { type Logger } from '@shoal/common';
import { ConfigError } from '../config/config.loader';
import { type DaemonConfig } from '../config/daemon.config';
import { formatHostPort, parseHostPort } from '../config/host-port';
import { type TlsMaterial } from '../config/tls-files';
import { type SwarmRuntime } from '../manager/swarm-runtime.port';
import { createApiApp, listenOnTcp } from './api.app';
import { type ApiAppOptions } from './api.options';

export interface TcpApis {
  /** The bound addresses, host:port (port 0 resolved). */
  apiAddr?: string;
  apiReadonlyAddr?: string;
  close(): Promise<void>;
}

/**
 * The control API's TCP listeners, each its own app over the same runtime:
 * - `--api-addr`: HTTPS that demands a client certificate chaining to --tls-ca (Decision 8:
 *   dockerd's --tlsverify); the config loader already refused it without the TLS files.
 * - `--api-readonly-addr`: plain HTTP on loopback (the loader refused any other host), GET
 *   and HEAD of a few read endpoints only (readOnlyRefusal); for tests and local tools
 *   such as a Prometheus on the same host.
 * `tls` is the --tls-* material, read and checked once at start (readTlsFiles). A server
 * that cannot be created from it is a configuration error (exit 2), like a bad file. A
 * listener that fails to bind closes the ones already bound before the error propagates.
 */
export async function startTcpApis(
  runtime: SwarmRuntime,
  config: Pick<DaemonConfig, 'apiAddr' | 'apiReadonlyAddr'> & { tls?: TlsMaterial },
  logger: Logger,
  appOptions: ApiAppOptions = {},
): Promise<TcpApis> {
  const apps: INestApplication[] = [];
  const out: TcpApis = {
    async close() {
      await Promise.all(apps.map((a) => a.close()));
    },
  };
  try {
    if (config.apiAddr) {
      const { tls } = config;
      if (!tls) throw new ConfigError(['--api-addr needs --tls-ca, --tls-cert and --tls-key']);
      let app: INestApplication;
      try {
        app = await createApiApp(runtime, { logger, ...appOptions, tls });
      } catch (err) {
        // Only OpenSSL's refusals are the operator's files; anything else is our bug (exit 1).
        if (!/^ERR_(OSSL|TLS|SSL)/.test(String((err as NodeJS.ErrnoException).code ?? ''))) {
          throw err;
        }
        throw new ConfigError([
          `--api-addr: cannot serve TLS with --tls-ca/--tls-cert/--tls-key: ${(err as Error).message}`,
        ]);
      }
      apps.push(app);
      out.apiAddr = await listen(app, config.apiAddr);
      logger.info('control API listening (mutual TLS)', { addr: out.apiAddr });
    }
    if (config.apiReadonlyAddr) {
      const app = await createApiApp(runtime, { logger, ...appOptions, readOnly: true });
      apps.push(app);
      out.apiReadonlyAddr = await listen(app, config.apiReadonlyAddr);
      logger.info('read-only control API listening (no authentication, read endpoints only)', {
        addr: out.apiReadonlyAddr,
      });
    }
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}

async function listen(app: INestApplication, addr: string): Promise<string> {
  const hp = parseHostPort(addr, { allowPortZero: true });
  if (typeof hp === 'string') throw new ConfigError([`${addr}: ${hp}`]);
  const bound = await listenOnTcp(app, hp.port, hp.host);
  return formatHostPort({ host: hp.host, port: bound.port });
}
