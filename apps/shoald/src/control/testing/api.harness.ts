import type http from 'node:http';
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { applySwarmSpecDefaults } from '@shoal/api';
import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { createApiApp } from '../../api/api.app';
import { MemorySwarmRuntime } from '../../api/testing/memory-runtime';
import { T0 } from './control.fixtures';

export interface ApiReply {
  status: number;
  headers: Headers;
  /** Parsed JSON when the reply is JSON, else the text ('' for an empty body). */
  body: unknown;
  text: string;
}

export interface ApiHarness {
  runtime: MemorySwarmRuntime;
  clock: ManualClock;
  url: string;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiReply>;
  close(): Promise<void>;
}

/**
 * The real control API (createApiApp: version prefixes, JSON bodies, the error filter, the
 * 501 fallback) over a MemorySwarmRuntime, listening on an ephemeral loopback port. Requests
 * go through plain fetch, as a client's would.
 */
export async function startApi(opts: { init?: boolean; seed?: number } = {}): Promise<ApiHarness> {
  const clock = new ManualClock(T0);
  const runtime = new MemorySwarmRuntime({
    clock,
    newId: objectIdGenerator(seededRandomBytes(opts.seed ?? 11)),
    hostname: 'manager-1',
  });
  if (opts.init ?? true) {
    await runtime.init({
      listenAddr: '0.0.0.0:7377',
      advertiseAddr: '10.0.0.1:7377',
      forceNewCluster: false,
      spec: applySwarmSpecDefaults({}) as Record<string, unknown>,
    });
  }
  const app: INestApplication = await createApiApp(runtime, { clock });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as http.Server;
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    runtime,
    clock,
    url,
    async request(method, path, body, headers = {}) {
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
    },
    close: () => app.close(),
  };
}

/** `?filters=` for a filter map. */
export function filtersQuery(filters: Record<string, string[]>): string {
  return `filters=${encodeURIComponent(JSON.stringify(filters))}`;
}
