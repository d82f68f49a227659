import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { nullLogger, type Logger } from '@shoal/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from '../config/config.loader';
import { readTlsFiles, type TlsMaterial } from '../config/tls-files';
import { initSwarm, memoryRuntime } from '../control/testing/control.fixtures';
import { startTcpApis, type TcpApis } from './api.tcp';
import { READ_ONLY_MESSAGE } from './http/read-only.middleware';
import { type MemorySwarmRuntime } from './testing/memory-runtime';

let dir: string;
let runtime: MemorySwarmRuntime;
let apis: TcpApis;
let ca: { certPem: string; keyPem: string };
let tls: TlsMaterial;
const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
const logger: Logger = {
  ...nullLogger,
  info: (msg, fields) => logged.push({ msg, fields }),
  child: () => logger,
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shoal-tcp-api-'));
  ca = await createRootCa({ commonName: 'API test CA', validYears: 1 });
  const server = await issueNodeCertificate(ca, { nodeId: 'server', role: 'api' });
  await writeFile(path.join(dir, 'ca.pem'), ca.certPem);
  await writeFile(path.join(dir, 'cert.pem'), server.certPem);
  await writeFile(path.join(dir, 'key.pem'), server.keyPem);
  ({ runtime } = memoryRuntime(5));
  await initSwarm(runtime);
  tls = (await readTlsFiles({
    tlsCa: path.join(dir, 'ca.pem'),
    tlsCert: path.join(dir, 'cert.pem'),
    tlsKey: path.join(dir, 'key.pem'),
  }))!;
  apis = await startTcpApis(
    runtime,
    { apiAddr: '127.0.0.1:0', apiReadonlyAddr: '127.0.0.1:0', tls },
    logger,
  );
});

afterAll(async () => {
  await apis?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--api-readonly-addr', () => {
  it('logs the bound address', () => {
    expect(apis.apiReadonlyAddr).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(logged.map((l) => l.fields?.['addr'])).toContain(apis.apiReadonlyAddr);
  });

  it('serves reads without credentials', async () => {
    const res = await fetch(`http://${apis.apiReadonlyAddr}/v1.44/nodes`);
    expect(res.status).toBe(200);
    const nodes = (await res.json()) as { ID: string }[];
    expect(nodes.map((n) => n.ID)).toEqual([runtime.nodeId()]);
    const head = await fetch(`http://${apis.apiReadonlyAddr}/_ping`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('refuses writes with 403 and says what to use instead, changing nothing', async () => {
    for (const [method, p] of [
      ['POST', '/v1.44/services/create'],
      ['DELETE', `/nodes/${runtime.nodeId()}`],
      ['PUT', '/containers/x/archive'],
      ['POST', '/swarm/leave?force=1'],
    ] as const) {
      const res = await fetch(`http://${apis.apiReadonlyAddr}${p}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'x' } } }),
      });
      expect(res.status, `${method} ${p}`).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ message: READ_ONLY_MESSAGE });
    }
    expect(READ_ONLY_MESSAGE).toMatch(/read-only.*--api-addr/);
    expect(runtime.localState()).toBe('active');
    const services = await fetch(`http://${apis.apiReadonlyAddr}/services`);
    expect(await services.json()).toEqual([]);
  });

  it('serves the streaming endpoints (GET /events)', async () => {
    const ac = new AbortController();
    const res = await fetch(`http://${apis.apiReadonlyAddr}/events`, { signal: ac.signal });
    expect(res.status).toBe(200);
    ac.abort();
  });

  /** A GET with chosen headers (fetch will not send a foreign Host). */
  function rawGet(
    p: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<{ status: number; body: string }> {
    const [host, port] = apis.apiReadonlyAddr!.split(':');
    return new Promise((resolve, reject) => {
      const req = http.request({ host, port: Number(port), path: p, method, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses the reads that carry secrets or task output, and unlisted endpoints', async () => {
    for (const p of [
      '/swarm', // JoinTokens: the manager token is full control of the cluster
      '/v1.44/swarm',
      '/swarm/unlockkey',
      '/v1.44/swarm/unlockkey',
      '/services/x/logs',
      '/v1.44/services/x/logs?stdout=1',
      '/tasks/x/logs',
      '/secrets',
      '/configs',
      '/v1.44/secrets/x',
      '/containers/json',
      '/nodes/x/extra',
    ]) {
      const res = await rawGet(p);
      expect(res.status, p).toBe(403);
      expect(JSON.parse(res.body), p).toEqual({ message: READ_ONLY_MESSAGE });
    }
    expect((await rawGet('/swarm', {}, 'HEAD')).status).toBe(403);
    expect(READ_ONLY_MESSAGE).toMatch(/\/_ping, \/version, .*\/metrics\/targets/);
  });

  it('serves the listed read endpoints, with or without the version prefix', async () => {
    const id = runtime.nodeId()!;
    for (const p of [
      '/_ping',
      '/version',
      '/info',
      '/nodes',
      `/nodes/${id}`,
      `/v1.44/nodes/${id}`,
      '/services',
      '/tasks',
      '/networks',
      '/v1.24/networks',
      '/metrics/targets',
      '/v1.44/info?x=1',
    ]) {
      expect((await rawGet(p)).status, p).toBe(200);
    }
    // Listed, but nothing by that id: the handler's own 404, not the listener's 403.
    expect((await rawGet('/services/nope')).status).toBe(404);
    expect((await rawGet('/tasks/nope')).status).toBe(404);
  });

  it('refuses a Host or Origin that is not loopback (DNS rebinding)', async () => {
    const port = apis.apiReadonlyAddr!.split(':')[1]!;
    for (const host of ['evil.example', `evil.example:${port}`, '10.0.0.5', 'localhost.evil']) {
      const res = await rawGet('/info', { host });
      expect(res.status, host).toBe(403);
      expect((JSON.parse(res.body) as { message: string }).message).toMatch(/Host .* refused/);
    }
    for (const host of [`localhost:${port}`, 'LOCALHOST', `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await rawGet('/info', { host })).status, host).toBe(200);
    }
    const foreign = await rawGet('/info', { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect((JSON.parse(foreign.body) as { message: string }).message).toMatch(/Origin .* refused/);
    expect((await rawGet('/info', { origin: 'null' })).status).toBe(403);
    expect((await rawGet('/info', { origin: `http://localhost:${port}` })).status).toBe(200);
  });

  /** Opens /events/ws; resolves with 101 on success, else the refusal's status and body. */
  function upgrade(
    p: string,
    opts: { origin?: string; host?: string } = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${apis.apiReadonlyAddr}${p}`, {
        ...(opts.origin ? { origin: opts.origin } : {}),
        ...(opts.host ? { headers: { host: opts.host } } : {}),
      });
      ws.on('open', () => {
        ws.close();
        resolve({ status: 101, body: '' });
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      ws.on('error', reject);
    });
  }

  it('applies the same rules to WebSocket upgrades, which bypass Express', async () => {
    expect((await upgrade('/v1.44/events/ws')).status).toBe(101);
    expect((await upgrade('/events/ws', { origin: 'http://127.0.0.1:3000' })).status).toBe(101);
    const foreign = await upgrade('/events/ws', { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((JSON.parse(foreign.body) as { message: string }).message).toMatch(/Origin .* refused/);
    const rebound = await upgrade('/events/ws', { host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect((JSON.parse(rebound.body) as { message: string }).message).toMatch(/Host .* refused/);
  });
});

describe('--api-addr (mutual TLS)', () => {
  function get(
    p: string,
    client?: { cert: string; key: string },
  ): Promise<{ status: number; body: string }> {
    const [host, port] = apis.apiAddr!.split(':');
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host, port: Number(port), path: p, method: 'GET', ca: ca.certPem, ...client },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses a client without a certificate', async () => {
    await expect(get('/v1.44/nodes')).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const other = await createRootCa({ commonName: 'Other CA', validYears: 1 });
    const cert = await issueNodeCertificate(other, { nodeId: 'intruder', role: 'api' });
    await expect(get('/v1.44/nodes', { cert: cert.certPem, key: cert.keyPem })).rejects.toThrow(
      /certificate|socket hang up|ECONNRESET|unknown ca/i,
    );
  });

  it('serves a client with a certificate the CA signed, writes included', async () => {
    const cert = await issueNodeCertificate(ca, { nodeId: 'prometheus', role: 'api' });
    const client = { cert: cert.certPem, key: cert.keyPem };
    const res = await get('/v1.44/nodes', client);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { ID: string }[]).map((n) => n.ID)).toEqual([runtime.nodeId()]);
    expect(logged.map((l) => l.fields?.['addr'])).toContain(apis.apiAddr);
  });
});

describe('startTcpApis', () => {
  it('refuses --api-addr without TLS material as a configuration error', async () => {
    const err = await startTcpApis(runtime, { apiAddr: '127.0.0.1:0' }, nullLogger).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/--api-addr needs --tls-ca, --tls-cert and --tls-key/);
  });

  it('reports a TLS server that cannot be created as a configuration error', async () => {
    // Not through readTlsFiles, which would have refused it: the listener's own check.
    const other = await issueNodeCertificate(ca, { nodeId: 'other', role: 'api' });
    const err = await startTcpApis(
      runtime,
      { apiAddr: '127.0.0.1:0', tls: { ...tls, key: other.keyPem } },
      nullLogger,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/--api-addr: cannot serve TLS/);
  });
});
