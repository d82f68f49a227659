import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { resolveApiContext } from '../api.app';
import { type ApiHarness, INIT_BODY, startApiHarness } from '../testing/api-test.harness';
import { MemorySwarmRuntime } from '../testing/memory-runtime';
import { openLineStream, request, requestJson } from '../testing/http.client';
import { EventsFeed } from './events.feed';
import { EventsService } from './events.service';

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const spec = (name: string) => ({
  Name: name,
  TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } },
  Mode: { Replicated: { Replicas: 1 } },
});

/** A WebSocket client on /events/ws that keeps every message. */
function wsClient(h: ApiHarness, path: string) {
  const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}${path}`);
  const raw: string[] = [];
  let closed: number | undefined;
  ws.on('message', (data) => raw.push(String(data)));
  ws.on('close', (code) => (closed = code));
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, raw, opened, closed: () => closed };
}

describe('one events feed shared by several API apps', () => {
  const services = { type: ['service'] };
  const query = `?filters=${encodeURIComponent(JSON.stringify(services))}`;
  const harnesses: ApiHarness[] = [];
  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
  });

  it('streams the same events on every app, and outlives the apps that close', async () => {
    const runtime = new MemorySwarmRuntime();
    const feed = new EventsFeed();
    const a = await startApiHarness({ runtime, eventsFeed: feed });
    const b = await startApiHarness({ runtime, eventsFeed: feed });
    harnesses.push(a, b);
    expect(a.app.get(EventsService).feed).toBe(feed);
    expect(b.app.get(EventsService).feed).toBe(feed);
    const init = await request(a.target, 'POST', '/swarm/init', {
      body: JSON.stringify(INIT_BODY),
    });
    expect(init.status).toBe(200);

    const onA = await openLineStream(a.target, `/events${query}`);
    const onB = wsClient(b, `/events/ws${query}`);
    await onB.opened;
    await waitFor(() => feed.listenerCount === 2);
    // /info on either app counts the listeners of the daemon's feed, not of its own app.
    const info = await requestJson<{ NEventsListener: number }>(b.target, 'GET', '/info');
    expect(info.body.NEventsListener).toBe(2);

    const created = await requestJson(a.target, 'POST', '/services/create', spec('shared-1'));
    expect(created.status).toBe(201);
    const lineA = await onA.next();
    await waitFor(() => onB.raw.length === 1);
    // One feed, one mapping: the very same bytes on both transports.
    expect(onB.raw[0]).toBe(lineA);
    expect(JSON.parse(lineA)).toMatchObject({ Type: 'service', Action: 'create' });

    await a.close();
    harnesses.splice(harnesses.indexOf(a), 1);
    await onA.ended;
    // A's streams ended; the feed it was given was not closed with it.
    expect(feed.isFollowing).toBe(true);
    expect(feed.listenerCount).toBe(1);
    expect(onB.closed()).toBeUndefined();

    const again = await requestJson(b.target, 'POST', '/services/create', spec('shared-2'));
    expect(again.status).toBe(201);
    await waitFor(() => onB.raw.length === 2);
    expect(JSON.parse(onB.raw[1]!)).toMatchObject({
      Type: 'service',
      Action: 'create',
      Actor: { Attributes: { name: 'shared-2' } },
    });
    const after = await requestJson<{ NEventsListener: number }>(b.target, 'GET', '/info');
    expect(after.body.NEventsListener).toBe(1);

    await b.close();
    harnesses.splice(harnesses.indexOf(b), 1);
    await waitFor(() => onB.closed() !== undefined);
    expect(onB.closed()).toBe(1001);
    // Its owner, here the test (in shoald, startDaemon's stop), closes it.
    expect(feed.isFollowing).toBe(true);
    feed.close();
    expect(feed.isFollowing).toBe(false);
  });

  it('gives an app without one a feed of its own, closed with the app', async () => {
    const runtime = new MemorySwarmRuntime();
    const a = await startApiHarness({ runtime });
    const b = await startApiHarness({ runtime });
    harnesses.push(a, b);
    const feedA = a.app.get(EventsService).feed;
    const feedB = b.app.get(EventsService).feed;
    expect(feedA).not.toBe(feedB);
    const init = await request(a.target, 'POST', '/swarm/init', {
      body: JSON.stringify(INIT_BODY),
    });
    expect(init.status).toBe(200);
    b.app.get(EventsService).sync();
    expect(feedA.isFollowing && feedB.isFollowing).toBe(true);
    await a.close();
    harnesses.splice(harnesses.indexOf(a), 1);
    expect(feedA.isFollowing).toBe(false);
    expect(feedB.isFollowing).toBe(true);
  });

  it('refuses a history size alongside a given feed', () => {
    expect(() => resolveApiContext({ eventsFeed: new EventsFeed(), eventsHistory: 10 })).toThrow(
      /eventsHistory/,
    );
    expect(resolveApiContext({ eventsFeed: new EventsFeed(3) }).eventsFeed?.capacity).toBe(3);
  });
});
