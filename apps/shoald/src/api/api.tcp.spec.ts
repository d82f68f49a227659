import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { nullLogger, type Logger } from '@shoal/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSwarm, memoryRuntime } from '../control/testing/control.fixtures';
import { startTcpApis, type TcpApis } from './api.tcp';
import { READ_ONLY_MESSAGE } from './http/read-only.middleware';
import { type MemorySwarmRuntime } from './testing/memory-runtime';

let dir: string;
let runtime: MemorySwarmRuntime;
let apis: TcpApis;
let ca: { certPem: string; keyPem: string };
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
  apis = await startTcpApis(
    runtime,
    {
      apiAddr: '127.0.0.1:0',
      apiReadonlyAddr: '127.0.0.1:0',
      tlsCa: path.join(dir, 'ca.pem'),
      tlsCert: path.join(dir, 'cert.pem'),
      tlsKey: path.join(dir, 'key.pem'),
    },
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
  it('reports unreadable TLS files as configuration errors', async () => {
    await expect(
      startTcpApis(
        runtime,
        {
          apiAddr: '127.0.0.1:0',
          tlsCa: path.join(dir, 'missing-ca.pem'),
          tlsCert: path.join(dir, 'cert.pem'),
          tlsKey: path.join(dir, 'key.pem'),
        },
        nullLogger,
      ),
    ).rejects.toThrow(/--tls-ca .*missing-ca\.pem: ENOENT/);
  });
});
