import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Duplex, PassThrough } from 'node:stream';
import { type INestApplication } from '@nestjs/common';
import { nullLogger } from '@shoal/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createApiApp, listenOnSocket, listenOnTcp } from '../api.app';
import { TEST_HOST } from '../testing/api-test.harness';
import { MemorySwarmRuntime } from '../testing/memory-runtime';
import { request, type Target } from '../testing/http.client';
import { DEFAULT_EVENTS_LIMITS, type EventsService } from './events.service';
import { attachEventsWebSocket } from './events.websocket';

/** Targets Node's parser accepts and hands to 'upgrade', but that `new URL` rejects. */
const UNPARSABLE_TARGETS = ['http://[/x', 'http://a:99999/x', 'http://%zz/x'];

const upgradeRequest = (target: string) =>
  `GET ${target} HTTP/1.1\r\n` +
  'Host: localhost\r\n' +
  'Connection: Upgrade\r\n' +
  'Upgrade: websocket\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

function connectRaw(target: Target): net.Socket {
  return 'socketPath' in target
    ? net.connect(target.socketPath)
    : net.connect(target.port, '127.0.0.1');
}

/** Writes `text` on a fresh connection and returns all the server sent until it closed. */
function rawExchange(target: Target, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectRaw(target);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(text);
  });
}

interface Listener {
  name: string;
  app: INestApplication;
  target: Target;
  server: http.Server;
}

describe('/events/ws upgrade listener under hostile requests', () => {
  const listeners: Listener[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-ws-robust-'));
    const tcp = await createApiApp(new MemorySwarmRuntime(), { hostFacts: () => TEST_HOST });
    const { port } = await listenOnTcp(tcp, 0);
    listeners.push({
      name: 'loopback TCP',
      app: tcp,
      target: { port },
      server: tcp.getHttpServer() as http.Server,
    });
    const unix = await createApiApp(new MemorySwarmRuntime(), { hostFacts: () => TEST_HOST });
    const socketPath = await listenOnSocket(unix, path.join(dir, 'shoal.sock'));
    listeners.push({
      name: 'unix socket',
      app: unix,
      target: { socketPath },
      server: unix.getHttpServer() as http.Server,
    });
  });
  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.app.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const each = (fn: (l: Listener) => Promise<void>) => async () => {
    for (const l of listeners) await fn(l);
  };

  it(
    'answers 400 to request targets that are not URLs, and keeps serving',
    each(async (l) => {
      for (const target of UNPARSABLE_TARGETS) {
        const reply = await rawExchange(l.target, upgradeRequest(target));
        expect(reply, `${l.name} ${target}`).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
        const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
        expect(JSON.parse(body).message).toMatch(/invalid request target/);
      }
      const ping = await request(l.target, 'GET', '/_ping');
      expect(ping.status).toBe(200);
      expect(ping.body).toBe('OK');
    }),
  );

  it(
    'survives a client that is gone before its refusal is written',
    each(async (l) => {
      // The refusal is written in the same turn the request is parsed; by then this client
      // has closed (unix) or reset (TCP) the connection, so the write fails on the server's
      // socket, which Node left without an error listener when it handed it to 'upgrade'.
      const serverSide = new Promise<Duplex>((resolve) => {
        l.server.once('upgrade', (_req: http.IncomingMessage, socket: Duplex) => resolve(socket));
      });
      const client = connectRaw(l.target);
      client.on('error', () => undefined);
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      const bad = '/events/ws?filters=' + encodeURIComponent('{"colour":["red"]}');
      client.write(upgradeRequest(bad), () => {
        if ('socketPath' in l.target) client.destroy();
        else client.resetAndDestroy();
      });
      const socket = await serverSide;
      // The server side is torn down (its error, if any, emitted before 'close').
      if (!socket.destroyed) await new Promise((r) => socket.once('close', r));
      const ping = await request(l.target, 'GET', '/_ping');
      expect(ping.status).toBe(200);
    }),
  );
});

describe('attachEventsWebSocket', () => {
  /** A raw upgrade socket as Node hands it over: no 'error' listener. */
  const fakeUpgrade = (method: string, url: string | (() => string)) => {
    const server = new EventEmitter() as http.Server;
    attachEventsWebSocket(server, {} as EventsService, nullLogger);
    const socket = new PassThrough();
    const written: Buffer[] = [];
    socket.on('data', (c: Buffer) => written.push(c));
    const req = { method, headers: {} } as http.IncomingMessage;
    if (typeof url === 'string') req.url = url;
    else Object.defineProperty(req, 'url', { get: url });
    return {
      socket,
      emit: () => server.emit('upgrade', req, socket, Buffer.alloc(0)),
      written: () => Buffer.concat(written).toString('utf8'),
    };
  };

  it('absorbs a socket error raised while the refusal is being written', () => {
    const up = fakeUpgrade('GET', '/nowhere');
    up.emit();
    expect(up.written()).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    // Without a listener, EventEmitter throws this (in the daemon: uncaught, exit).
    expect(() => up.socket.emit('error', new Error('read ECONNRESET'))).not.toThrow();
    expect(up.socket.destroyed).toBe(true);
  });

  it('turns any throw inside the listener into a 500, not an uncaught exception', () => {
    const up = fakeUpgrade('GET', () => {
      throw new Error('boom');
    });
    expect(() => up.emit()).not.toThrow();
    expect(up.written()).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
  });

  it("sends Node's reason phrase with each status", () => {
    const cases: [string, string, RegExp][] = [
      ['GET', '/v1.99/events/ws', /^HTTP\/1\.1 400 Bad Request\r\n/],
      ['POST', '/events/ws', /^HTTP\/1\.1 405 Method Not Allowed\r\n/],
    ];
    for (const [method, url, status] of cases) {
      const up = fakeUpgrade(method, url);
      up.emit();
      expect(up.written()).toMatch(status);
    }
  });

  it('drops the connection, and keeps the server, when serving an upgraded socket fails', async () => {
    const server = http.createServer((_req, res) => res.end('up'));
    const events = {
      limits: { ...DEFAULT_EVENTS_LIMITS },
      subscribe: () => {
        throw new Error('feed broken');
      },
    } as unknown as EventsService;
    attachEventsWebSocket(server, events, nullLogger);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as net.AddressInfo;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/events/ws`);
      ws.on('error', () => undefined);
      const code = await new Promise<number>((r) => ws.once('close', (c: number) => r(c)));
      expect(code).toBe(1006);
      const res = await request({ port }, 'GET', '/');
      expect(res.body).toBe('up');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
