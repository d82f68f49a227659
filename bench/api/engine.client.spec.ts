import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EngineApiError,
  EngineClient,
  engineErrorMessage,
  parseApiVersion,
  pickApiVersion,
} from './engine.client';

describe('API versions', () => {
  it('parses major.minor and rejects anything else', () => {
    expect(parseApiVersion('1.41')).toEqual([1, 41]);
    expect(() => parseApiVersion('v1.41')).toThrow();
    expect(() => parseApiVersion('1.41.0')).toThrow();
  });

  it('picks the lower of the server version and the newest spoken, numerically', () => {
    expect(pickApiVersion('1.41', '1.44')).toBe('1.41');
    expect(pickApiVersion('1.44', '1.44')).toBe('1.44');
    expect(pickApiVersion('1.47', '1.44')).toBe('1.44');
    // 1.9 < 1.41: minor versions compare as numbers, not strings.
    expect(pickApiVersion('1.9', '1.41')).toBe('1.9');
    expect(pickApiVersion('2.0', '1.44')).toBe('1.44');
  });
});

describe('engineErrorMessage', () => {
  it("takes Docker's message field, else the truncated body", () => {
    expect(engineErrorMessage('{"message":"name conflicts"}')).toBe('name conflicts');
    expect(engineErrorMessage('oops')).toBe('oops');
    expect(engineErrorMessage('x'.repeat(500))).toHaveLength(200);
  });
});

describe('EngineClient over a unix socket', () => {
  let dir = '';
  let server: http.Server;
  const seen: { method: string; url: string; body: string; remotePort: unknown }[] = [];
  const sockets = new Set<unknown>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'engine-client-spec-'));
    server = http.createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, remotePort: undefined });
        res.setHeader('content-type', 'application/json');
        if (req.url === '/_ping') return res.end('OK');
        if (req.url === '/version')
          return res.end(JSON.stringify({ Version: '9.9', ApiVersion: '1.41' }));
        if (req.url === '/v1.41/services/create') {
          res.statusCode = 201;
          return res.end(JSON.stringify({ ID: 'abc' }));
        }
        res.statusCode = 404;
        res.end(JSON.stringify({ message: `no such service: ${req.url}` }));
      });
    });
    await new Promise<void>((r) => server.listen(path.join(dir, 'api.sock'), r));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('negotiates the version, prefixes paths, sends JSON and reuses its connection', async () => {
    const client = new EngineClient(path.join(dir, 'api.sock'), { maxSockets: 1 });
    try {
      expect(await client.ping()).toBe(true);
      const v = await client.negotiate('1.44');
      expect(v).toMatchObject({ version: '9.9', serverApiVersion: '1.41', apiVersion: '1.41' });
      expect(client.versionPrefix).toBe('/v1.41');
      sockets.clear();
      for (let i = 0; i < 3; i++) {
        expect(await client.json('POST', '/services/create', { Name: `s${i}` }, [201])).toEqual({
          ID: 'abc',
        });
      }
      expect(sockets.size).toBe(1);
      expect(seen.at(-1)).toMatchObject({
        method: 'POST',
        url: '/v1.41/services/create',
        body: '{"Name":"s2"}',
      });
    } finally {
      client.close();
    }
  });

  it('throws EngineApiError with the status and message on an unexpected status', async () => {
    const client = new EngineClient(path.join(dir, 'api.sock'));
    try {
      await client.negotiate();
      const err = await client.json('GET', '/services/nope', undefined, [200]).catch((e) => e);
      expect(err).toBeInstanceOf(EngineApiError);
      expect(err).toMatchObject({ status: 404, path: '/v1.41/services/nope' });
      expect((err as Error).message).toContain('no such service');
    } finally {
      client.close();
    }
  });

  it('reports a socket nobody listens on as not answering', async () => {
    const client = new EngineClient(path.join(dir, 'nobody.sock'));
    expect(await client.ping(500)).toBe(false);
    await expect(client.request('GET', '/version', undefined, false)).rejects.toThrow();
    client.close();
  });
});
