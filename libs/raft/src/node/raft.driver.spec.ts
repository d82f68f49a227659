import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AtRestCipher, aesGcmCipher } from '@shoal/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  Role,
  type Snapshot,
} from '../core/types';
import { SnapshotStore } from '../snapshot';
import { MemoryNetwork, type MemoryTransport } from '../transport/memory.transport';
import { Wal } from '../wal';
import {
  NotLeaderError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
} from './driver.errors';
import { resolveDriverOptions } from './driver.options';
import { encodeSnapshotEnvelope } from './membership.codec';
import { ProposalWaiters } from './proposal-waiters';
import { RaftDriver } from './raft.driver';
import { DriverCluster, ListStateMachine, waitUntil } from './testing/driver-cluster';

const enc = (s: string) => Buffer.from(s, 'utf8');
let cluster: DriverCluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

/** Proposes through whoever leads, following NotLeader and Dropped (both certain non-applies). */
async function write(c: DriverCluster, value: string): Promise<void> {
  for (;;) {
    const leader = await c.waitForLeader();
    try {
      await leader.propose(enc(value));
      return;
    } catch (err) {
      if (!(err instanceof NotLeaderError || err instanceof ProposalDroppedError)) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('RaftDriver', () => {
  it('a bootstrapped three-node cluster elects a leader and applies proposals everywhere in order', async () => {
    cluster = new DriverCluster(['a', 'b', 'c']);
    await cluster.startAll();
    for (let i = 0; i < 20; i++) await write(cluster, `v${i}`);
    const want = Array.from({ length: 20 }, (_, i) => `v${i}`);
    await waitUntil(
      () => [...cluster!.machines.values()].every((m) => m.items.length === 20),
      5_000,
      'every replica to apply 20 entries',
    );
    for (const m of cluster.machines.values()) expect(m.items).toEqual(want);
  });

  it('resolves a proposal only after the local state machine applied it', async () => {
    cluster = new DriverCluster(['a']);
    const d = await cluster.start('a');
    await cluster.waitForLeader();
    const { index } = await d.propose(enc('x'));
    expect(cluster.machines.get('a')!.items).toEqual(['x']);
    expect(d.status().applied).toBeGreaterThanOrEqual(index);
  });

  it('a follower refuses proposals with NotLeaderError naming the leader and its address', async () => {
    cluster = new DriverCluster(['a', 'b', 'c']);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const follower = await cluster.followerOf(leader);
    const err = await follower.propose(enc('nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leaderId).toBe(leader.id);
    expect((err as NotLeaderError).leaderAddress).toBe(`mem:${leader.id}`);
  });

  it('a restarted node rebuilds exactly the same state from its snapshot and WAL', async () => {
    cluster = new DriverCluster(['a', 'b', 'c'], { snapshotEntries: 7, retainEntries: 2 });
    await cluster.startAll();
    for (let i = 0; i < 30; i++) await write(cluster, `w${i}`);
    await waitUntil(
      () => [...cluster!.machines.values()].every((m) => m.items.length === 30),
      5_000,
      'all replicas to apply',
    );
    const victim = [...cluster.drivers.values()].find((d) => !d.isLeader())!.id;
    const before = [...cluster.machines.get(victim)!.items];
    expect(cluster.drivers.get(victim)!.status().snapshotIndex).toBeGreaterThan(1);
    await cluster.stop(victim, { transferLeadership: false });
    const restarted = await cluster.start(victim, { bootstrap: false });
    // Recovery alone, before any new message: snapshot restore plus WAL replay.
    await waitUntil(
      () => cluster!.machines.get(victim)!.items.length === 30,
      5_000,
      'the restarted node to replay its log',
    );
    expect(cluster.machines.get(victim)!.items).toEqual(before);
    await write(cluster, 'after');
    await waitUntil(
      () => restarted.status().applied >= restarted.status().commit,
      5_000,
      'catch-up',
    );
    await waitUntil(
      () => cluster!.machines.get(victim)!.items.at(-1) === 'after',
      5_000,
      'the restarted node to apply new writes',
    );
  });

  it('snapshots by bytes applied when entries are large, however few they are', async () => {
    cluster = new DriverCluster(['a'], {
      snapshotEntries: 1_000_000,
      snapshotBytes: 4_096,
      retainEntries: 0,
    });
    const d = await cluster.start('a');
    await cluster.waitForLeader();
    // 1 KiB writes: the fifth crosses 4 KiB since the last snapshot.
    for (let i = 0; i < 4; i++) await write(cluster, `${i}`.padEnd(1_024, '.'));
    expect(d.status().snapshotIndex).toBeLessThanOrEqual(1);
    await write(cluster, 'x'.repeat(1_024));
    await waitUntil(() => d.status().snapshotIndex > 1, 5_000, 'a snapshot by bytes');
  });

  it('with a cipher, a restarted node recovers its state, and nothing is on disk in clear text', async () => {
    const cipher = aesGcmCipher(Buffer.alloc(32, 0x61));
    cluster = new DriverCluster(['a'], { cipher, snapshotEntries: 7, retainEntries: 2 });
    const d = await cluster.start('a');
    await cluster.waitForLeader();
    for (let i = 0; i < 20; i++) await write(cluster, `secret-${i}`);
    expect(d.status().snapshotIndex).toBeGreaterThan(1);
    const before = [...cluster.machines.get('a')!.items];
    await cluster.stop('a', { transferLeadership: false });

    const dataDir = path.join(cluster.dir, 'a');
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => path.join(f.parentPath, f.name));
    expect(files.some((f) => f.endsWith('.snap'))).toBe(true);
    expect(files.some((f) => f.endsWith('.wal'))).toBe(true);
    for (const f of files) expect(readFileSync(f).includes('secret-')).toBe(false);

    const startWith = (c: AtRestCipher | undefined) =>
      RaftDriver.start({
        id: 'a',
        dataDir,
        transport: cluster!.net.transport('a'),
        stateMachine: new ListStateMachine(),
        tickMs: 10,
        fsync: false,
        cipher: c,
      });
    await expect(startWith(aesGcmCipher(Buffer.alloc(32, 0x62)))).rejects.toMatchObject({
      name: 'WalEncryptionError',
      kind: 'wrong-key',
    });
    await expect(startWith(undefined)).rejects.toMatchObject({
      name: 'WalEncryptionError',
      kind: 'no-key',
    });

    const restarted = await cluster.start('a', { bootstrap: false });
    await waitUntil(
      () => cluster!.machines.get('a')!.items.length === 20,
      5_000,
      'the restarted node to recover its state',
    );
    expect(cluster.machines.get('a')!.items).toEqual(before);
    await write(cluster, 'after');
    expect(restarted.isLeader()).toBe(true);
    expect(cluster.machines.get('a')!.items.at(-1)).toBe('after');
  });

  it('a graceful stop of the leader hands over leadership and fails no proposal', async () => {
    cluster = new DriverCluster(['a', 'b', 'c']);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writes = Array.from({ length: 50 }, (_, i) => write(cluster!, `g${i}`));
    await cluster.stop(leader.id);
    await expect(Promise.all(writes)).resolves.toBeDefined();
    const next = await cluster.waitForLeader();
    expect(next.id).not.toBe(leader.id);
  });

  it('a linearizable read on a follower sees every write acknowledged before it', async () => {
    cluster = new DriverCluster(['a', 'b', 'c']);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const follower = await cluster.followerOf(leader);
    for (let i = 0; i < 10; i++) await leader.propose(enc(`r${i}`));
    await follower.readBarrier();
    expect(cluster.machines.get(follower.id)!.items).toHaveLength(10);
  });

  it('adds a learner that catches up by snapshot, then promotes it to voter', async () => {
    cluster = new DriverCluster(['a', 'b', 'c'], { snapshotEntries: 5, retainEntries: 0 });
    await cluster.startAll();
    for (let i = 0; i < 25; i++) await write(cluster, `m${i}`);
    const leader: RaftDriver = await cluster.waitForLeader();
    const learner = await cluster.start('d', { bootstrap: false });
    cluster.net.isolate('d');
    await leader.addLearner('d', 'mem:d');
    // A learner that has not caught up is not promoted: as a lagging voter it could stall
    // commits the moment another voter fails.
    const early = await leader.addVoter('d', 'mem:d').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(ProposalDroppedError);
    expect((early as Error).message).toMatch(/has not caught up/);
    cluster.net.heal();
    await waitUntil(
      () => cluster!.machines.get('d')!.items.length === 25,
      5_000,
      'the learner to catch up',
    );
    expect(learner.status().role).toBe(Role.Follower);
    const conf = await leader.addVoter('d', 'mem:d');
    expect(conf.voters).toContain('d');
    expect(conf.learners).not.toContain('d');
    await write(cluster, 'with-d');
    await waitUntil(
      () => cluster!.machines.get('d')!.items.at(-1) === 'with-d',
      5_000,
      'd applies',
    );
  });
});

/** A message from a peer the test plays by hand. */
function msg(type: MessageType, from: NodeId, to: NodeId, fields: Partial<Message> = {}): Message {
  const base = { logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  return { type, from, to, term: 0, ...base, ...fields };
}

/** A transport on `net` whose received messages land in `inbox`; the test speaks through it. */
async function puppet(net: MemoryNetwork, id: NodeId, peers: NodeId[], inbox: Message[]) {
  const t: MemoryTransport = net.transport(id);
  for (const p of peers) t.setPeer(p, `mem:${p}`);
  await t.start({
    onMessage: (m) => inbox.push(m),
    onUnreachable: () => undefined,
    onSnapshotStatus: () => undefined,
  });
  return t;
}

describe('RaftDriver edge cases', () => {
  const dirs: string[] = [];
  const drivers: RaftDriver[] = [];
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.stop({ transferLeadership: false });
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    vi.restoreAllMocks();
  });
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'shoal-driver-edge-'));
    dirs.push(d);
    return d;
  };
  const quiet = { tickMs: 1_000, electionTicks: 50, fsync: false } as const;

  it('does not revive WAL entries a snapshot from the leader replaced (no vote for a log missing committed entries)', async () => {
    // The data dir of a follower x of {v..z} that held uncommitted entries 2..10 from term 3,
    // then installed the leader's snapshot (index 5, term 5) and crashed before any newer
    // entry overwrote that stale tail in its WAL.
    const dir = tmp();
    const ids = ['v', 'w', 'x', 'y', 'z'];
    const book = new Map(ids.map((i) => [i, `mem:${i}`]));
    const snap = (index: number, term: number): Snapshot => ({
      metadata: { index, term, confState: { voters: ids, learners: [] } },
      data: encodeSnapshotEnvelope(book, new ListStateMachine().snapshot()),
    });
    const snaps = new SnapshotStore(path.join(dir, 'snap'), { fsync: false });
    const { wal } = await Wal.open(path.join(dir, 'wal'), { fsync: false });
    await snaps.save(snap(1, 1));
    await wal.saveSnapshotMarker(snap(1, 1).metadata);
    const stale = Array.from({ length: 9 }, (_, i) => ({
      index: i + 2,
      term: 3,
      type: EntryType.Normal,
      data: enc(`stale${i}`),
    }));
    await wal.save({ term: 3, vote: 'v', commit: 1 }, stale, true);
    await snaps.save(snap(5, 5));
    await wal.saveSnapshotMarker(snap(5, 5).metadata);
    await wal.save({ term: 5, vote: '', commit: 5 }, [], true);
    await wal.close();

    const net = new MemoryNetwork();
    const inbox: Message[] = [];
    const y = await puppet(net, 'y', ['x'], inbox);
    const x = await RaftDriver.start({
      id: 'x',
      dataDir: dir,
      transport: net.transport('x'),
      stateMachine: new ListStateMachine(),
      ...quiet,
    });
    drivers.push(x);
    // y's log ends at (4, term 5): it lacks entry 5, which the snapshot proves committed.
    y.send([msg(MessageType.Vote, 'y', 'x', { term: 6, index: 4, logTerm: 5 })]);
    await waitUntil(() => inbox.length > 0, 2_000, 'an answer to the vote request');
    expect(inbox[0]).toMatchObject({ type: MessageType.VoteResp, reject: true });
  });

  it('an answer to a ReadIndex request from before a restart does not release a new read', async () => {
    const dir = tmp();
    const net = new MemoryNetwork();
    const inbox: Message[] = [];
    const a = await puppet(net, 'a', ['b'], inbox);
    const members = ['a', 'b', 'c'].map((id) => ({ id, address: `mem:${id}` }));
    const startB = async () => {
      const d = await RaftDriver.start({
        id: 'b',
        dataDir: dir,
        transport: net.transport('b'),
        stateMachine: new ListStateMachine(),
        bootstrap: members,
        ...quiet,
      });
      a.send([msg(MessageType.Heartbeat, 'a', 'b', { term: 2, commit: 1 })]);
      await waitUntil(() => d.leaderId() === 'a', 2_000, 'b to follow a');
      return d;
    };
    const readIndexCtx = async () => {
      await waitUntil(
        () => inbox.some((m) => m.type === MessageType.ReadIndex),
        2_000,
        'a ReadIndex request',
      );
      const i = inbox.findIndex((m) => m.type === MessageType.ReadIndex);
      return inbox.splice(i, 1)[0]!.context!;
    };

    const first = await startB();
    const before = first.readBarrier().catch((e: unknown) => e);
    const oldCtx = await readIndexCtx();
    await first.stop({ transferLeadership: false });
    await before;

    const b = await startB();
    drivers.push(b);
    let released = false;
    const read = b.readBarrier().then(() => (released = true));
    const newCtx = await readIndexCtx();
    // The leader answers the request b made before it restarted.
    a.send([msg(MessageType.ReadIndexResp, 'a', 'b', { term: 2, index: 1, context: oldCtx })]);
    await new Promise((r) => setTimeout(r, 50));
    expect(released).toBe(false);
    a.send([msg(MessageType.ReadIndexResp, 'a', 'b', { term: 2, index: 1, context: newCtx })]);
    await read;
  });

  it('a read pending when the leader fails is asked again of the next leader instead of timing out', async () => {
    cluster = new DriverCluster(['a', 'b', 'c'], { proposalTimeoutMs: 5_000 });
    await cluster.startAll();
    await write(cluster, 'x');
    const leader = await cluster.waitForLeader();
    const follower = await cluster.followerOf(leader);
    cluster.net.isolate(leader.id);
    const started = Date.now();
    await follower.readBarrier();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(cluster.machines.get(follower.id)!.items).toEqual(['x']);
  });

  it('a read whose request was lost is asked again of the same leader instead of timing out', async () => {
    cluster = new DriverCluster(['a', 'b', 'c'], { proposalTimeoutMs: 8_000 });
    await cluster.startAll();
    await write(cluster, 'x');
    const leader = await cluster.waitForLeader();
    const follower = await cluster.followerOf(leader);
    const term = leader.status().term;
    // Lose the follower's ReadIndex requests for a while; the leader stays in office.
    cluster.net.drop(follower.id, leader.id, 1);
    const started = Date.now();
    const read = follower.readBarrier();
    await new Promise((r) => setTimeout(r, 300));
    cluster.net.heal();
    await read;
    expect(Date.now() - started).toBeLessThan(3_000);
    // No leader change prompted the second request.
    expect(leader.isLeader()).toBe(true);
    expect(leader.status().term).toBe(term);
  });

  it('keeps the address of the leader that sent a snapshot whose address book predates it', async () => {
    // d joined after its latest snapshot was taken, then became leader, and now admits e.
    const net = new MemoryNetwork();
    const inbox: Message[] = [];
    const d = await puppet(net, 'd', ['e'], inbox);
    const e = await RaftDriver.start({
      id: 'e',
      dataDir: tmp(),
      transport: net.transport('e'),
      stateMachine: new ListStateMachine(),
      peers: [{ id: 'd', address: 'mem:d' }],
      ...quiet,
    });
    drivers.push(e);
    const book = new Map(['a', 'b', 'c'].map((i) => [i, `mem:${i}`]));
    const snapshot: Snapshot = {
      metadata: { index: 10, term: 2, confState: { voters: ['a', 'b', 'c'], learners: [] } },
      data: encodeSnapshotEnvelope(book, new ListStateMachine().snapshot()),
    };
    d.send([msg(MessageType.Snap, 'd', 'e', { term: 3, snapshot })]);
    await waitUntil(() => e.status().applied === 10, 2_000, 'e to install the snapshot');
    inbox.length = 0;
    d.send([msg(MessageType.App, 'd', 'e', { term: 3, index: 10, logTerm: 2, commit: 10 })]);
    await waitUntil(
      () => inbox.some((m) => m.type === MessageType.AppResp),
      2_000,
      'e to answer the leader',
    );
  });

  it('tells leader listeners the term of the new leader', async () => {
    cluster = new DriverCluster(['a']);
    const d = await cluster.start('a');
    const seen: { leader: NodeId | undefined; term: number }[] = [];
    d.onLeaderChange((leader, term) => seen.push({ leader, term }));
    await waitUntil(() => seen.length > 0, 5_000, 'a leader change');
    expect(seen[0]).toEqual({ leader: 'a', term: d.status().term });
  });

  it('stop() after a halt still waits for the loop and closes the WAL', async () => {
    cluster = new DriverCluster(['a']);
    const d = await cluster.start('a');
    await cluster.waitForLeader();
    cluster.machines.get('a')!.apply = () => {
      throw new Error('state machine failure');
    };
    await expect(d.propose(enc('x'))).rejects.toBeInstanceOf(ProposalOutcomeUnknownError);
    const close = vi.spyOn(Wal.prototype, 'close');
    await cluster.stop('a');
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('ProposalWaiters', () => {
  afterEach(() => void vi.useRealTimers());
  const entry = (index: number, term: number) => ({
    index,
    term,
    type: EntryType.Normal,
    data: enc('e'),
  });
  /** How `p` has settled so far (timers are fake, so only microtasks can settle it). */
  const track = <T>(p: Promise<T>) => {
    const s: { outcome: { v: T } | { e: unknown } | 'pending' } = { outcome: 'pending' };
    p.then(
      (v) => (s.outcome = { v }),
      (e: unknown) => (s.outcome = { e }),
    );
    return s;
  };
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('a newer proposal at an index an older one still waits on survives the older timeout', async () => {
    vi.useFakeTimers();
    const w = new ProposalWaiters();
    const older = track(w.wait(12, 5, 100, () => new ProposalTimeoutError(100)));
    const newer = track(w.wait(12, 7, 1_000, () => new ProposalTimeoutError(1_000)));
    vi.advanceTimersByTime(150);
    await flush();
    expect(older.outcome).toEqual({ e: expect.any(ProposalTimeoutError) });
    w.applied([entry(12, 7)]);
    await flush();
    expect(newer.outcome).toEqual({ v: { index: 12, term: 7 } });
  });

  it('settles both proposals at one index by the term that is applied there', async () => {
    vi.useFakeTimers();
    const w = new ProposalWaiters();
    const older = track(w.wait(12, 5, 1_000, () => new ProposalTimeoutError(1_000)));
    const newer = track(w.wait(12, 7, 1_000, () => new ProposalTimeoutError(1_000)));
    w.applied([entry(12, 5)]);
    await flush();
    expect(older.outcome).toEqual({ v: { index: 12, term: 5 } });
    expect(newer.outcome).toEqual({ e: expect.any(ProposalDroppedError) });
    await w.whenEmpty();
  });
});

describe('resolveDriverOptions', () => {
  const base = {
    id: 'a',
    dataDir: '/tmp/x',
    transport: {} as never,
    stateMachine: {} as never,
  };

  it('applies the documented defaults', () => {
    const o = resolveDriverOptions(base);
    expect(o).toMatchObject({ tickMs: 100, electionTicks: 5, heartbeatTicks: 1, fsync: true });
  });

  it.each([
    [{ tickMs: 0 }, /tickMs must be a positive integer, got 0/],
    [{ electionTicks: 1.5 }, /electionTicks must be a positive integer/],
    [{ heartbeatTicks: 5, electionTicks: 5 }, /heartbeatTicks \(5\) must be below electionTicks/],
    [{ retainEntries: -1 }, /retainEntries must be a non-negative integer/],
    [{ bootstrap: [{ id: 'z', address: 'x' }] }, /bootstrap members must include this node \(a\)/],
  ])('refuses %o with a clear message', (bad, msg) => {
    expect(() => resolveDriverOptions({ ...base, ...bad })).toThrow(msg);
  });
});
