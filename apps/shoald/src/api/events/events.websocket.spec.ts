import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type StoreChangeEvent } from '@shoal/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventActor, type EventMessage } from '@shoal/api';
import { WebSocket } from 'ws';
import { createApiApp, listenOnSocket } from '../api.app';
import {
  type ApiHarness,
  INIT_BODY,
  TEST_HOST,
  startApiHarness,
} from '../testing/api-test.harness';
import { MemorySwarmRuntime } from '../testing/memory-runtime';
import { request, requestJson } from '../testing/http.client';
import { EventsService } from './events.service';

/** An event line as received: Docker's message, every field present. */
type Line = Required<EventMessage> & { Actor: Required<EventActor> };

const spec = (name: string) => ({
  Name: name,
  TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } },
  Mode: { Replicated: { Replicas: 1 } },
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client that records every text message, raw, and how the socket ended. */
class Client {
  readonly raw: string[] = [];
  closed?: { code: number; reason: string };
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string, opts: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      this.raw.push(String(data));
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => reject(new HttpRefusal(res.statusCode ?? 0, body)));
      });
      this.ws.once('error', reject);
    });
  }

  get lines(): Line[] {
    return this.raw.map((m) => JSON.parse(m) as Line);
  }
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

describe('GET /events/ws', () => {
  let h: ApiHarness;
  let events: EventsService;
  const clients: Client[] = [];
  const wsUrl = (path: string) => `${h.url.replace(/^http/, 'ws')}${path}`;
  const connect = async (path: string) => {
    const c = new Client(wsUrl(path));
    clients.push(c);
    await c.opened;
    return c;
  };
  const createService = async (name: string) => {
    const res = await requestJson<{ ID: string }>(h.target, 'POST', '/services/create', spec(name));
    expect(res.status).toBe(201);
    return res.body.ID;
  };

  beforeAll(async () => {
    h = await startApiHarness();
    events = h.app.get(EventsService);
    const init = await request(h.target, 'POST', '/swarm/init', {
      body: JSON.stringify(INIT_BODY),
    });
    expect(init.status).toBe(200);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await h.close();
  });

  it('sends a service create as one JSON text message, timeNano exact', async () => {
    const c = await connect('/events/ws?filters=' + encodeURIComponent('{"type":["service"]}'));
    const id = await createService('ws-web');
    await waitFor(() => c.raw.length >= 1);
    const [line] = c.lines;
    expect(line).toMatchObject({
      Type: 'service',
      Action: 'create',
      scope: 'swarm',
      Actor: { ID: id, Attributes: { name: 'ws-web' } },
    });
    // The digits on the wire are the exact bigint, the same as /events writes.
    const nano = /"timeNano":(\d+)\}$/.exec(c.raw[0]!)![1]!;
    expect(nano.length).toBeGreaterThanOrEqual(19);
    expect(BigInt(nano) / 1_000_000_000n).toBe(BigInt(line!.time));
  });

  it('serves the /v1.xx prefixed path and applies filters', async () => {
    const filters = encodeURIComponent(JSON.stringify({ service: ['ws-keep'], event: ['create'] }));
    const c = await connect(`/v1.44/events/ws?filters=${filters}`);
    await createService('ws-drop');
    const kept = await createService('ws-keep');
    await waitFor(() => c.raw.length >= 1);
    // Give a wrongly passed event the chance to arrive after the kept one.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.lines.map((l) => l.Actor.ID)).toEqual([kept]);
  });

  it('replays history for since/until in the past, then closes normally', async () => {
    const since = Math.floor(Date.now() / 1000) - 60;
    const until = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, 1100)); // until is now in the past
    const c = await connect(
      `/events/ws?since=${since}&until=${until}&filters=` +
        encodeURIComponent('{"type":["service"]}'),
    );
    await waitFor(() => c.closed !== undefined);
    expect(c.closed!.code).toBe(1000);
    expect(c.lines.map((l) => l.Actor.Attributes['name'])).toEqual(
      expect.arrayContaining(['ws-web', 'ws-drop', 'ws-keep']),
    );
  });

  it('refuses a bad query with the /events 400 before upgrading', async () => {
    const bad = '/events/ws?filters=' + encodeURIComponent('{"colour":["red"]}');
    const plain = await request(h.target, 'GET', bad.replace('/ws', ''));
    const refusal = await connect(bad).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(HttpRefusal);
    expect((refusal as HttpRefusal).status).toBe(400);
    expect((refusal as HttpRefusal).status).toBe(plain.status);
    expect(JSON.parse((refusal as HttpRefusal).body)).toEqual(JSON.parse(plain.body));
    expect(JSON.parse(plain.body).message).toMatch(/invalid filter 'colour'/);

    const badVersion = await connect('/v1.99/events/ws').catch((err: unknown) => err);
    expect((badVersion as HttpRefusal).status).toBe(400);
    expect((badVersion as HttpRefusal).body).toMatch(/too new/);
  });

  it('answers a plain GET of /events/ws with a 400 that says to upgrade', async () => {
    const res = await request(h.target, 'GET', '/events/ws');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/WebSocket/);
  });

  it('cuts off a client that stops reading instead of buffering without bound', async () => {
    const before = events.limits.maxPendingBytes;
    events.limits.maxPendingBytes = 64 * 1024;
    try {
      const c = await connect('/events/ws');
      c.ws.pause(); // stop reading: the server's socket buffer fills
      const padding = 'x'.repeat(2000);
      for (let i = 0; i < 20_000 && c.closed === undefined; i++) {
        events.feed.ingest(syntheticSecret(`sec${i}`, padding));
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      c.ws.resume();
      await waitFor(() => c.closed !== undefined);
      // Terminated (no close frame): 1006. Far fewer than all events ever reached it.
      expect(c.closed!.code).toBe(1006);
      expect(c.raw.length).toBeLessThan(20_000);
      await waitFor(() => events.feed.listenerCount === 0);
    } finally {
      events.limits.maxPendingBytes = before;
    }
  });

  it('drops a client that stops answering pings', async () => {
    const before = events.limits.pingIntervalMs;
    events.limits.pingIntervalMs = 50;
    try {
      // ws answers pings itself; a client with auto-pong off plays a dead peer.
      const c = new Client(wsUrl('/events/ws'), { autoPong: false });
      clients.push(c);
      await c.opened;
      await waitFor(() => c.closed !== undefined, 3000);
      expect(c.closed!.code).toBe(1006);
    } finally {
      events.limits.pingIntervalMs = before;
    }
  });

  it('keeps a client that answers pings', async () => {
    const before = events.limits.pingIntervalMs;
    events.limits.pingIntervalMs = 50;
    try {
      const c = await connect('/events/ws');
      await new Promise((r) => setTimeout(r, 400));
      expect(c.closed).toBeUndefined();
    } finally {
      events.limits.pingIntervalMs = before;
    }
  });
});

describe('GET /events/ws on the unix socket', () => {
  it('upgrades there too, the app hooking every server it listens on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-ws-'));
    const app = await createApiApp(new MemorySwarmRuntime(), { hostFacts: () => TEST_HOST });
    try {
      const socket = await listenOnSocket(app, path.join(dir, 'shoal.sock'));
      const c = new Client(`ws+unix://${socket}:/v1.41/events/ws`);
      await c.opened;
      const events = app.get(EventsService);
      await waitFor(() => events.feed.listenerCount === 1);
      events.feed.ingest(syntheticSecret('sec-unix', 'over-unix'));
      await waitFor(() => c.raw.length === 1);
      expect(c.lines[0]).toMatchObject({ Type: 'secret', Actor: { ID: 'sec-unix' } });
      c.ws.terminate();
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /events/ws on shutdown', () => {
  it('closes open sockets with 1001 and lets the server close', async () => {
    const h = await startApiHarness();
    const events = h.app.get(EventsService);
    const c = new Client(`${h.url.replace(/^http/, 'ws')}/events/ws`);
    await c.opened;
    expect(events.openStreams).toBe(1);
    const started = Date.now();
    await h.close();
    await waitFor(() => c.closed !== undefined);
    expect(c.closed).toEqual({ code: 1001, reason: 'shutting down' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(events.openStreams).toBe(0);
  });
});

function syntheticSecret(id: string, name: string): StoreChangeEvent {
  return {
    type: 'change',
    kind: 'secret',
    action: 'create',
    object: { ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name } },
    index: 1,
    time: Date.now(),
  } as StoreChangeEvent;
}
