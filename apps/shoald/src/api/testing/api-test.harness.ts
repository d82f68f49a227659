import { type INestApplication } from '@nestjs/common';
import { type Logger, nullLogger } from '@shoal/common';
import { createApiApp, listenOnTcp } from '../api.app';
import { type ApiAppOptions } from '../api.options';
import { type HostFacts } from '../system/system-info.builder';
import { MemorySwarmRuntime, type MemorySwarmRuntimeOptions } from './memory-runtime';
import { type Target } from './http.client';

/** Fixed host facts, so /info and /version compare exactly. */
export const TEST_HOST: HostFacts = {
  hostname: 'test-host',
  nodeArch: 'x64',
  machine: 'x86_64',
  kernelVersion: '6.1.0-test',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  ncpu: 4,
  memTotal: 8 * 2 ** 30,
  nodeVersion: 'v20.0.0',
  cgroupVersion: '2',
  nfd: 10,
};

export interface ApiHarness {
  app: INestApplication;
  runtime: MemorySwarmRuntime;
  target: Target;
  /** Error lines the API logged. */
  errors: { msg: string; fields?: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** The real app over a MemorySwarmRuntime, listening on an ephemeral loopback port. */
export async function startApiHarness(
  opts: ApiAppOptions & { runtime?: MemorySwarmRuntimeOptions } = {},
): Promise<ApiHarness> {
  const runtime = new MemorySwarmRuntime(opts.runtime);
  const errors: ApiHarness['errors'] = [];
  const logger: Logger = {
    ...nullLogger,
    error: (msg, fields) => errors.push({ msg, fields }),
    child: () => logger,
  };
  const app = await createApiApp(runtime, { logger, hostFacts: () => TEST_HOST, ...opts });
  const address = await listenOnTcp(app, 0);
  return {
    app,
    runtime,
    target: { port: address.port },
    errors,
    close: () => app.close(),
  };
}

/** A swarm spec body for POST /swarm/init. */
export const INIT_BODY = {
  ListenAddr: '127.0.0.1:7377',
  AdvertiseAddr: '127.0.0.1:7377',
  Spec: {},
};
