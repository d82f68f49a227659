import { afterEach, describe, expect, it } from 'vitest';
import { Role } from '../core/types';
import { NotLeaderError, ProposalDroppedError } from './driver.errors';
import { resolveDriverOptions } from './driver.options';
import { type RaftDriver } from './raft.driver';
import { DriverCluster, waitUntil } from './testing/driver-cluster';

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
    const follower = [...cluster.drivers.values()].find((d) => d !== leader)!;
    await waitUntil(
      () => follower.leaderId() === leader.id,
      5_000,
      'the follower to learn the leader',
    );
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
    const follower = [...cluster.drivers.values()].find((d) => d !== leader)!;
    await waitUntil(
      () => follower.leaderId() === leader.id,
      5_000,
      'the follower to learn the leader',
    );
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
    await leader.addLearner('d', 'mem:d');
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
