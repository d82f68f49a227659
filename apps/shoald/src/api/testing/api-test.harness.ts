/**
 * The one harness for HTTP tests of the control API: the real app (createApiApp: version
 * prefixes, JSON bodies, the error filter, the 501 fallback) over a MemorySwarmRuntime,
 * listening on an ephemeral loopback port.
 *
 * Two ways to talk to it, for two kinds of test:
 * - `request()` goes through fetch, as an ordinary client would, and parses JSON replies;
 *   the controller specs use it.
 * - `target` feeds ./http.client, a bare node:http client for what fetch cannot send or show
 *   (malformed and chunked bodies, HEAD, unix sockets, raw header names, streams).
 */
import { type INestApplication } from '@nestjs/common';
import { type Logger, nullLogger } from '@shoal/common';
import { initSwarm, memoryRuntime } from '../../control/testing/control.fixtures';
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

export interface ApiReply {
  status: number;
  headers: Headers;
  /** Parsed JSON when the reply is JSON, else the text ('' for an empty body). */
  body: unknown;
  text: string;
}

export interface ApiHarness {
  app: INestApplication;
  runtime: MemorySwarmRuntime;
  target: Target;
  /** `http://127.0.0.1:PORT`, for fetch. */
  url: string;
  /** Error lines the API logged. */
  errors: { msg: string; fields?: Record<string, unknown> }[];
  /** A fetch request; an object body is sent as JSON unless a content-type says otherwise. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiReply>;
  close(): Promise<void>;
}

export interface ApiHarnessOptions extends ApiAppOptions {
  /** The runtime to serve, or options for a fresh (uninitialised) one. */
  runtime?: MemorySwarmRuntime | MemorySwarmRuntimeOptions;
}

/** The real app over a MemorySwarmRuntime, listening on an ephemeral loopback port. */
export async function startApiHarness(opts: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const { runtime: runtimeOrOptions, ...appOptions } = opts;
  const runtime =
    runtimeOrOptions instanceof MemorySwarmRuntime
      ? runtimeOrOptions
      : new MemorySwarmRuntime(runtimeOrOptions);
  const errors: ApiHarness['errors'] = [];
  const logger: Logger = {
    ...nullLogger,
    error: (msg, fields) => errors.push({ msg, fields }),
    child: () => logger,
  };
  const app = await createApiApp(runtime, { logger, hostFacts: () => TEST_HOST, ...appOptions });
  const address = await listenOnTcp(app, 0);
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    runtime,
    target: { port: address.port },
    url,
    errors,
    request: (method, path, body, headers = {}) => fetchReply(url, method, path, body, headers),
    close: () => app.close(),
  };
}

/**
 * The controller specs' setup: a swarm already initialised as manager-1 (unless
 * `init: false`), on control.fixtures' manual clock and seeded IDs, which the API's event
 * times also follow.
 */
export async function startApi(opts: { init?: boolean; seed?: number } = {}): Promise<ApiHarness> {
  const { runtime, clock } = memoryRuntime(opts.seed ?? 11);
  if (opts.init ?? true) await initSwarm(runtime);
  return startApiHarness({ runtime, clock });
}

async function fetchReply(
  url: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<ApiReply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: json && text ? JSON.parse(text) : text,
  };
}

/** `?filters=` for a filter map. */
export function filtersQuery(filters: Record<string, string[]>): string {
  return `filters=${encodeURIComponent(JSON.stringify(filters))}`;
}

/** A swarm spec body for POST /swarm/init. */
export const INIT_BODY = {
  ListenAddr: '127.0.0.1:7377',
  AdvertiseAddr: '127.0.0.1:7377',
  Spec: {},
};
