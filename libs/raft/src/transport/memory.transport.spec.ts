import { describe, expect, it } from 'vitest';
import { SeededRng } from '../core/rng';
import { type Message, MessageType, type NodeId, emptyMessage } from '../core/types';
import { MemoryNetwork, type MemoryNetworkOptions, type MemoryTransport } from './memory.transport';
import { type TransportHandlers } from './transport';

interface Recorder extends TransportHandlers {
  messages: Message[];
  unreachable: NodeId[];
  snapshots: [NodeId, boolean][];
}

function recorder(): Recorder {
  const r: Recorder = {
    messages: [],
    unreachable: [],
    snapshots: [],
    onMessage: (m) => r.messages.push(m),
    onUnreachable: (p) => r.unreachable.push(p),
    onSnapshotStatus: (p, ok) => r.snapshots.push([p, ok]),
  };
  return r;
}

async function cluster(ids: NodeId[], opts?: MemoryNetworkOptions) {
  const net = new MemoryNetwork(opts);
  const nodes: Record<NodeId, { t: MemoryTransport; r: Recorder }> = {};
  for (const id of ids) {
    const t = net.transport(id);
    for (const peer of ids) if (peer !== id) t.setPeer(peer, `mem://${peer}`);
    const r = recorder();
    await t.start(r);
    nodes[id] = { t, r };
  }
  return { net, nodes };
}

const msg = (from: NodeId, to: NodeId, index = 0): Message => ({
  ...emptyMessage(MessageType.App, to, from),
  index,
});

describe('MemoryNetwork', () => {
  it('delivers asynchronously, in order, as copies', async () => {
    const { net, nodes } = await cluster(['a', 'b']);
    const sent = [msg('a', 'b', 1), msg('a', 'b', 2), msg('a', 'b', 3)];
    sent[0].entries.push({ term: 1, index: 1, type: 0, data: new Uint8Array([9]) });
    nodes.a.t.send(sent);
    expect(nodes.b.r.messages).toEqual([]);
    sent[0].entries[0].data[0] = 0;
    await net.settle();
    expect(nodes.b.r.messages.map((m) => m.index)).toEqual([1, 2, 3]);
    expect(nodes.b.r.messages[0].entries[0].data).toEqual(new Uint8Array([9]));
    expect(net.stats()).toMatchObject({ sent: 3, delivered: 3, dropped: 0, inFlight: 0 });
  });

  it('isolate cuts both directions and reports unreachable; heal restores', async () => {
    const { net, nodes } = await cluster(['a', 'b', 'c']);
    net.isolate('a');
    nodes.a.t.send([msg('a', 'b')]);
    nodes.b.t.send([msg('b', 'a'), msg('b', 'c')]);
    await net.settle();
    expect(nodes.b.r.messages).toEqual([]);
    expect(nodes.a.r.messages).toEqual([]);
    expect(nodes.c.r.messages).toHaveLength(1);
    expect(nodes.a.r.unreachable).toEqual(['b']);
    expect(nodes.b.r.unreachable).toEqual(['a']);
    net.heal();
    nodes.a.t.send([msg('a', 'b')]);
    await net.settle();
    expect(nodes.b.r.messages).toHaveLength(1);
  });

  it('drop() loses messages on one directed link, silently', async () => {
    const { net, nodes } = await cluster(['a', 'b']);
    net.drop('a', 'b', 1);
    nodes.a.t.send([msg('a', 'b')]);
    nodes.b.t.send([msg('b', 'a')]);
    await net.settle();
    expect(nodes.b.r.messages).toEqual([]);
    expect(nodes.a.r.messages).toHaveLength(1);
    expect(nodes.a.r.unreachable).toEqual([]);
  });

  it('a lossy link drops about the requested share, replayably with a seeded rng', async () => {
    const run = async () => {
      const { net, nodes } = await cluster(['a', 'b'], { rng: new SeededRng(7) });
      net.drop('a', 'b', 0.3);
      nodes.a.t.send(Array.from({ length: 1000 }, (_, i) => msg('a', 'b', i)));
      await net.settle();
      return nodes.b.r.messages.map((m) => m.index);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(600);
    expect(first.length).toBeLessThan(800);
    expect(await run()).toEqual(first);
  });

  it('partition() separates groups', async () => {
    const { net, nodes } = await cluster(['a', 'b', 'c']);
    net.partition(['a'], ['b', 'c']);
    nodes.b.t.send([msg('b', 'a'), msg('b', 'c')]);
    await net.settle();
    expect(nodes.a.r.messages).toEqual([]);
    expect(nodes.c.r.messages).toHaveLength(1);
  });

  it('reports snapshot status for MsgSnap', async () => {
    const { net, nodes } = await cluster(['a', 'b']);
    const snap: Message = {
      ...emptyMessage(MessageType.Snap, 'b', 'a'),
      snapshot: {
        metadata: { index: 5, term: 1, confState: { voters: ['a', 'b'], learners: [] } },
        data: new Uint8Array([1, 2, 3]),
      },
    };
    nodes.a.t.send([snap]);
    await net.settle();
    expect(nodes.b.r.messages[0]).toEqual(snap);
    net.isolate('b');
    nodes.a.t.send([snap]);
    await net.settle();
    await Promise.resolve();
    expect(nodes.a.r.snapshots).toEqual([
      ['b', true],
      ['b', false],
    ]);
  });

  it('only reaches peers given with setPeer, unless implicitPeers', async () => {
    const net = new MemoryNetwork();
    const a = net.transport('a');
    const ra = recorder();
    const rb = recorder();
    await a.start(ra);
    await net.transport('b').start(rb);
    a.send([msg('a', 'b')]);
    await net.settle();
    await Promise.resolve();
    expect(rb.messages).toEqual([]);
    expect(ra.unreachable).toEqual(['b']);
    a.setPeer('b', 'anything');
    a.send([msg('a', 'b')]);
    await net.settle();
    expect(rb.messages).toHaveLength(1);

    const open = new MemoryNetwork({ implicitPeers: true });
    const rc = recorder();
    await open.transport('c').start(recorder());
    await open.transport('d').start(rc);
    open.transport('c').send([msg('c', 'd')]);
    await open.settle();
    expect(rc.messages).toHaveLength(1);
  });

  it('a stopped node neither receives nor sends; in-flight messages to it are lost', async () => {
    const { net, nodes } = await cluster(['a', 'b']);
    nodes.a.t.send([msg('a', 'b')]);
    await nodes.b.t.stop();
    await net.settle();
    expect(nodes.b.r.messages).toEqual([]);
    nodes.b.t.send([msg('b', 'a')]);
    await net.settle();
    expect(nodes.a.r.messages).toEqual([]);
  });

  it('microtask delivery needs no timers', async () => {
    const { net, nodes } = await cluster(['a', 'b'], { delivery: 'microtask' });
    nodes.a.t.send([msg('a', 'b')]);
    await Promise.resolve();
    expect(nodes.b.r.messages).toHaveLength(1);
    expect(net.stats().inFlight).toBe(0);
  });
});
