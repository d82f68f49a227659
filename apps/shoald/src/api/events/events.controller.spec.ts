import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventActor, type EventMessage } from '@shoal/api';
import { type ApiHarness, INIT_BODY, startApiHarness } from '../testing/api-test.harness';
import { type LineStream, openLineStream, request, requestJson } from '../testing/http.client';
import { EventsService } from './events.service';

/** An event line as received: Docker's message, every field present. */
type Line = Required<EventMessage> & { Actor: Required<EventActor> };

/** Seconds since the epoch with nanoseconds, as the docker CLI sends them. */
const stamp = (ms: number) =>
  `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1e6).padStart(9, '0')}`;
const parse = (line: string) => JSON.parse(line) as Line;

const spec = (name: string, replicas = 1) => ({
  Name: name,
  TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } },
  Mode: { Replicated: { Replicas: replicas } },
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /events', () => {
  let h: ApiHarness;
  let startedAt: number;
  let feedListeners: () => number;
  const open: LineStream[] = [];

  const stream = async (query: string) => {
    const s = await openLineStream(h.target, `/v1.44/events${query}`);
    open.push(s);
    return s;
  };
  const createService = async (name: string, replicas = 1) => {
    const res = await requestJson<{ ID: string }>(
      h.target,
      'POST',
      '/services/create',
      spec(name, replicas),
    );
    expect(res.status).toBe(201);
    return res.body.ID;
  };

  beforeAll(async () => {
    h = await startApiHarness();
    feedListeners = () => h.app.get(EventsService).feed.listenerCount;
    startedAt = Date.now() - 1000;
    expect(
      (await request(h.target, 'POST', '/swarm/init', { body: JSON.stringify(INIT_BODY) })).status,
    ).toBe(200);
    await createService('before');
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await h.close();
  });

  it('replays history between since and an until in the past, then ends', async () => {
    const s = await stream(`?since=${stamp(startedAt)}&until=${stamp(Date.now())}`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('application/json');
    await s.ended;
    const lines = s.pending.map(parse);
    expect(lines.map((l) => `${l.Type} ${l.Action}`)).toEqual(['node create', 'service create']);
    const service = lines[1]!;
    expect(service).toMatchObject({ scope: 'swarm', Actor: { Attributes: { name: 'before' } } });
    expect(service.time).toBe(Math.floor(service.timeNano / 1e9));
    expect(service.time * 1000).toBeGreaterThanOrEqual(startedAt - 1000);
  });

  it('replays nothing from before since', async () => {
    const t = Date.now();
    const s = await stream(`?since=${stamp(t)}&until=${stamp(t + 50)}`);
    await s.ended;
    expect(s.pending).toEqual([]);
  });

  it('flushes headers at once, then streams live events', async () => {
    const s = await stream('');
    expect(s.status).toBe(200);
    const id = await createService('live');
    expect(parse(await s.next())).toMatchObject({
      Type: 'service',
      Action: 'create',
      Actor: { ID: id, Attributes: { name: 'live' } },
    });
    const version = h.runtime.manager().store.view((tx) => tx.get('service', id))!.Version.Index;
    const upd = await requestJson(
      h.target,
      'POST',
      `/services/${id}/update?version=${version}`,
      spec('live', 3),
    );
    expect(upd.status).toBe(200);
    expect(parse(await s.next())).toMatchObject({
      Action: 'update',
      Actor: { ID: id, Attributes: { name: 'live', 'replicas.old': '1', 'replicas.new': '3' } },
    });
    expect((await request(h.target, 'DELETE', `/services/${id}`)).status).toBe(200);
    expect(parse(await s.next())).toMatchObject({ Action: 'remove', Actor: { ID: id } });
    s.close();
  });

  it('replays since, then continues live', async () => {
    const s = await stream(`?since=${stamp(startedAt)}`);
    await waitFor(() => s.pending.length >= 2);
    await createService('after-replay');
    const names: string[] = [];
    for (;;) {
      const l = parse(await s.next());
      names.push(l.Actor.Attributes['name']!);
      if (l.Actor.Attributes['name'] === 'after-replay') break;
    }
    expect(names[1]).toBe('before');
    s.close();
  });

  it('applies filters', async () => {
    const s = await stream(
      `?filters=${encodeURIComponent('{"type":{"node":true},"event":["update"]}')}`,
    );
    await createService('filtered-out');
    const nodeId = h.runtime.nodeId()!;
    const node = await requestJson<{ Version: { Index: number }; Spec: Record<string, unknown> }>(
      h.target,
      'GET',
      `/nodes/${nodeId}`,
    );
    const res = await requestJson(
      h.target,
      'POST',
      `/nodes/${nodeId}/update?version=${node.body.Version.Index}`,
      {
        ...node.body.Spec,
        Availability: 'drain',
      },
    );
    expect(res.status).toBe(200);
    expect(parse(await s.next())).toMatchObject({
      Type: 'node',
      Action: 'update',
      Actor: {
        ID: nodeId,
        Attributes: { 'availability.old': 'active', 'availability.new': 'drain' },
      },
    });
    s.close();
  });

  it('returns nothing for scope=local: Shoal has no local events', async () => {
    const f = encodeURIComponent('{"scope":["local"]}');
    const s = await stream(`?since=${stamp(startedAt)}&until=${stamp(Date.now())}&filters=${f}`);
    await s.ended;
    expect(s.pending).toEqual([]);
  });

  it('ends the stream at an until in the future', async () => {
    const t0 = Date.now();
    const s = await stream(`?until=${stamp(t0 + 300)}`);
    await s.ended;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it.each([
    ['?since=yesterday', /invalid value for "since"/],
    ['?until=1.2.3', /invalid value for "until"/],
    ['?since=20&until=10', /`since` time \(20\) cannot be after `until` time \(10\)/],
    ['?filters=%7B', /invalid filters/],
    ['?filters=%7B%22colour%22%3A%5B%22x%22%5D%7D', /invalid filter 'colour'/],
  ])('refuses %s with 400', async (query, message) => {
    const res = await requestJson<{ message: string }>(h.target, 'GET', `/events${query}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('releases the subscription when the client disconnects', async () => {
    await waitFor(() => feedListeners() === 0);
    const s = await stream('');
    expect(feedListeners()).toBe(1);
    const info = await requestJson<{ NEventsListener: number }>(h.target, 'GET', '/info');
    expect(info.body.NEventsListener).toBe(1);
    s.close();
    await waitFor(() => feedListeners() === 0);
  });

  it('logged no internal errors', () => {
    expect(h.errors).toEqual([]);
  });
});

describe('GET /events on shutdown', () => {
  it('ends open streams so the server can close', async () => {
    const h = await startApiHarness();
    const s = await openLineStream(h.target, '/events');
    await h.close();
    await s.ended;
  });

  it('streams nothing, but stays open, on a node outside any swarm', async () => {
    const h = await startApiHarness();
    try {
      const s = await openLineStream(h.target, '/events');
      expect(s.status).toBe(200);
      // The node joins a swarm while the stream is open: its events arrive.
      expect(
        (await request(h.target, 'POST', '/swarm/init', { body: JSON.stringify(INIT_BODY) }))
          .status,
      ).toBe(200);
      expect(parse(await s.next(5000))).toMatchObject({ Type: 'node', Action: 'create' });
      s.close();
    } finally {
      await h.close();
    }
  });
});
