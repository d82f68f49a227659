import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../test/fake-daemon';
import { ConnectionError, DaemonError } from '../errors/cli.errors';
import { parseDaemonHost } from './daemon-host.parser';
import { DaemonClient } from './daemon.client';

describe('DaemonClient over a unix socket', () => {
  let daemon: FakeDaemon;
  let client: DaemonClient;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
    client = new DaemonClient(parseDaemonHost(daemon.socketPath), { userAgent: 'shoal-cli/test' });
  });
  afterEach(() => daemon.stop());

  it('prefixes /v1.44, encodes the query and sends JSON', async () => {
    daemon.on('POST', '/services/abc/update', { body: { Warnings: null } });
    await expect(
      client.post('/services/abc/update', { Name: 'web' }, { version: 7, skip: undefined }),
    ).resolves.toEqual({
      Warnings: null,
    });
    const [req] = daemon.requests;
    expect(daemon.requestLines()).toEqual(['POST /v1.44/services/abc/update?version=7']);
    expect(req?.body).toEqual({ Name: 'web' });
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('shoal-cli/test');
  });

  it('returns text bodies as text and empty bodies as undefined', async () => {
    daemon.on('POST', '/swarm/init', { text: 'node-id-in-plain-text' });
    daemon.on('DELETE', '/services/x', { status: 200 });
    await expect(client.post('/swarm/init', {})).resolves.toBe('node-id-in-plain-text');
    await expect(client.delete('/services/x')).resolves.toBeUndefined();
  });

  it('turns an error status into a DaemonError carrying the body message', async () => {
    daemon.on('GET', '/services/nope', {
      status: 404,
      body: { message: 'service nope not found' },
    });
    const err = await client.get('/services/nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect(err).toMatchObject({ message: 'service nope not found', statusCode: 404 });
  });

  it('falls back to the raw body, then to the status, when there is no message', async () => {
    daemon.on('GET', '/a', { status: 500, text: 'upstream exploded' });
    daemon.on('GET', '/b', { status: 503 });
    await expect(client.get('/a')).rejects.toThrow('upstream exploded');
    await expect(client.get('/b')).rejects.toThrow('HTTP 503 with an empty body');
  });
});

describe('DaemonClient connection failures', () => {
  it('names the socket when it does not exist', async () => {
    const client = new DaemonClient(parseDaemonHost('unix:///nonexistent/shoal.sock'));
    const err = await client.get('/info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(
      'Cannot connect to the shoal daemon at unix:///nonexistent/shoal.sock: no such socket. ' +
        'Is shoald running there? Use -H or SHOAL_HOST to reach another daemon.',
    );
  });

  it('names the tcp address when the connection is refused', async () => {
    // Bind then close to get a port nobody listens on.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = new DaemonClient(parseDaemonHost(`tcp://127.0.0.1:${port}`));
    await expect(client.get('/info')).rejects.toThrow(
      `Cannot connect to the shoal daemon at tcp://127.0.0.1:${port}: connection refused.`,
    );
  });

  it('talks to a tcp daemon', async () => {
    const server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = new DaemonClient(parseDaemonHost(`tcp://127.0.0.1:${port}`));
      await expect(client.get('/version')).resolves.toEqual({ url: '/v1.44/version' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
