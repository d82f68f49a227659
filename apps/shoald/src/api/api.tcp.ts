import { readFile } from 'node:fs/promises';
import { type INestApplication } from '@nestjs/common';
import { type Logger } from '@shoal/common';
import { ConfigError } from '../config/config.loader';
import { type DaemonConfig } from '../config/daemon.config';
import { formatHostPort, parseHostPort } from '../config/host-port';
import { type SwarmRuntime } from '../manager/swarm-runtime.port';
import { createApiApp, listenOnTcp, type TlsOptions } from './api.app';
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
 * - `--api-readonly-addr`: plain HTTP, GET/HEAD only, on loopback (the loader refused any
 *   other host); for tests and local tools such as a Prometheus on the same host.
 * A listener that fails to bind closes the ones already bound before the error propagates.
 */
export async function startTcpApis(
  runtime: SwarmRuntime,
  config: Pick<DaemonConfig, 'apiAddr' | 'apiReadonlyAddr' | 'tlsCa' | 'tlsCert' | 'tlsKey'>,
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
      const tls = await readTls(config);
      const app = await createApiApp(runtime, { logger, ...appOptions, tls });
      apps.push(app);
      out.apiAddr = await listen(app, config.apiAddr);
      logger.info('control API listening (mutual TLS)', { addr: out.apiAddr });
    }
    if (config.apiReadonlyAddr) {
      const app = await createApiApp(runtime, { logger, ...appOptions, readOnly: true });
      apps.push(app);
      out.apiReadonlyAddr = await listen(app, config.apiReadonlyAddr);
      logger.info('read-only control API listening (no authentication, GET/HEAD only)', {
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

async function readTls(
  config: Pick<DaemonConfig, 'tlsCa' | 'tlsCert' | 'tlsKey'>,
): Promise<TlsOptions> {
  const files = { ca: config.tlsCa, cert: config.tlsCert, key: config.tlsKey };
  const out: Partial<TlsOptions> = {};
  const problems: string[] = [];
  for (const [k, file] of Object.entries(files) as [keyof TlsOptions, string | undefined][]) {
    if (!file) {
      problems.push(`--api-addr needs --tls-${k}`);
      continue;
    }
    try {
      out[k] = await readFile(file);
    } catch (err) {
      problems.push(`--tls-${k} ${file}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as TlsOptions;
}
