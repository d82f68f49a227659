import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { core, MemoryNetwork, RaftDriver, type RaftDriverStatus } from '@shoal/raft';
import { ListStateMachine, waitUntil } from '@shoal/raft/node/testing/driver-cluster';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDaemonRegistry, type Registry } from '../registry';
import { parseExposition, type Sample, samplesOf, valueOf } from '../registry.testing';
import { RaftMetrics, type RaftStatusSource } from './raft.metrics';

const IDS = ['m1', 'm2', 'm3'];

interface Member {
  driver: RaftDriver;
  registry: Registry;
  metrics: RaftMetrics;
}

/** Three drivers on an in-memory network, each with its own registry (one daemon each). */
class Cluster {
  readonly net = new MemoryNetwork();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-raft-metrics-'));
  readonly members = new Map<string, Member>();

  async start(id: string, registry = createDaemonRegistry({ version: 'test' })): Promise<Member> {
    const metrics = new RaftMetrics(registry);
    const peers = IDS.map((i) => ({ id: i, address: `mem:${i}` }));
    const driver = await RaftDriver.start({
      id,
      dataDir: path.join(this.dir, id),
      transport: this.net.transport(id),
      stateMachine: new ListStateMachine(),
      bootstrap: peers,
      peers,
      tickMs: 10,
      // Real fsyncs, so that the WAL histogram has something to time.
      fsync: true,
      // Snapshots often, with nothing kept behind them: a member that was away gets one.
      snapshotEntries: 8,
      retainEntries: 0,
      metrics,
    });
    metrics.attach(driver);
    const m = { driver, registry, metrics };
    this.members.set(id, m);
    return m;
  }

  async stop(id: string): Promise<Member> {
    const m = this.members.get(id)!;
    await m.driver.stop({ transferLeadership: false });
    this.members.delete(id);
    return m;
  }

  async leader(): Promise<Member> {
    await waitUntil(() => this.find() !== undefined, 5_000, 'a leader');
    return this.find()!;
  }

  private find(): Member | undefined {
    return [...this.members.values()].find((m) => m.driver.isLeader());
  }

  async destroy(): Promise<void> {
    for (const id of [...this.members.keys()]) await this.stop(id);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The status and a scrape from the same instant: every collect runs before the first await. */
async function scrapeWithStatus(m: Member): Promise<{ s: RaftDriverStatus; samples: Sample[] }> {
  const s = m.driver.status();
  const text = m.registry.metrics();
  return { s, samples: parseExposition(await text) };
}

function expectMatchesStatus(samples: Sample[], s: RaftDriverStatus): void {
  expect(valueOf(samples, 'shoal_raft_term')).toBe(s.term);
  expect(valueOf(samples, 'shoal_raft_commit_index')).toBe(s.commit);
  expect(valueOf(samples, 'shoal_raft_applied_index')).toBe(s.applied);
  expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(s.role === 'leader' ? 1 : 0);
  expect(valueOf(samples, 'shoal_raft_has_leader')).toBe(s.leader ? 1 : 0);
  expect(valueOf(samples, 'shoal_raft_voters')).toBe(s.members.filter((m) => m.voter).length);
  const lag = samplesOf(samples, 'shoal_raft_peer_replication_lag_entries');
  if (s.role !== 'leader') {
    expect(lag).toEqual([]);
    expect(valueOf(samples, 'shoal_raft_voters_reachable')).toBeUndefined();
    return;
  }
  const reachable = s.members.filter((m) => m.voter && (m.id === s.id || m.recentActive));
  expect(valueOf(samples, 'shoal_raft_voters_reachable')).toBe(reachable.length);
  const expected = s.members
    .filter((m) => m.id !== s.id)
    .map((m) => ({ peer: m.id, lag: s.lastIndex - m.match! }))
    .sort((a, b) => a.peer.localeCompare(b.peer));
  const got = lag
    .map((x) => ({ peer: x.labels['peer']!, lag: x.value }))
    .sort((a, b) => a.peer.localeCompare(b.peer));
  expect(got).toEqual(expected);
}

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

describe('RaftMetrics on an in-memory cluster', () => {
  it('reports what driver.status() says, on the leader and on followers', async () => {
    cluster = new Cluster();
    for (const id of IDS) await cluster.start(id);
    const leader = await cluster.leader();
    for (let i = 0; i < 20; i++) await leader.driver.propose(Buffer.from(`e${i}`));
    await waitUntil(
      () => [...cluster!.members.values()].every((m) => m.driver.status().applied >= 21),
      5_000,
      'every member to apply',
    );
    for (const m of cluster.members.values()) {
      const { s, samples } = await scrapeWithStatus(m);
      expectMatchesStatus(samples, s);
      expect(valueOf(samples, 'shoal_raft_voters')).toBe(3);
      expect(valueOf(samples, 'shoal_raft_has_leader')).toBe(1);
      expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'shoal_raft_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);
      // 20 entries with a snapshot every 8: each member wrote some of its own.
      expect(valueOf(samples, 'shoal_raft_snapshot_duration_seconds_count')).toBeGreaterThan(0);
      expect(valueOf(samples, 'shoal_raft_snapshot_bytes')).toBeGreaterThan(0);
    }
    const { samples } = await scrapeWithStatus(leader);
    expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(1);
    // recentActive is per election timeout (50 ms here): a busy test machine can miss one.
    await vi.waitFor(
      async () => {
        const again = parseExposition(await leader.registry.metrics());
        expect(valueOf(again, 'shoal_raft_voters_reachable')).toBe(3);
      },
      { timeout: 5_000, interval: 10 },
    );
    // Every proposal was made on the leader: each timed once to commit and once to apply.
    expect(valueOf(samples, 'shoal_raft_proposal_duration_seconds_count')).toBe(20);
    expect(valueOf(samples, 'shoal_raft_commit_duration_seconds_count')).toBe(20);
    const sum = valueOf(samples, 'shoal_raft_proposal_duration_seconds_sum')!;
    const commitSum = valueOf(samples, 'shoal_raft_commit_duration_seconds_sum')!;
    expect(sum).toBeGreaterThan(0);
    expect(commitSum).toBeGreaterThan(0);
    expect(commitSum).toBeLessThanOrEqual(sum);
    for (const m of cluster.members.values()) {
      if (m === leader) continue;
      const f = parseExposition(await m.registry.metrics());
      expect(valueOf(f, 'shoal_raft_proposal_duration_seconds_count')).toBe(0);
      expect(valueOf(f, 'shoal_raft_commit_duration_seconds_count')).toBe(0);
    }
  });

  it('counts leader changes, and shows a peer that is away as lagging and unreachable', async () => {
    cluster = new Cluster();
    for (const id of IDS) await cluster.start(id);
    const leader = await cluster.leader();
    await leader.driver.propose(Buffer.from('x'));
    const before = new Map<string, number>();
    for (const [id, m] of cluster.members) {
      before.set(
        id,
        valueOf(parseExposition(await m.registry.metrics()), 'shoal_raft_leader_changes_total')!,
      );
    }
    await leader.driver.transferLeadership();
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    // The driver tells its listeners once it has handled the Ready that names the new leader.
    await vi.waitFor(
      async () => {
        for (const [id, m] of cluster!.members) {
          const after = valueOf(
            parseExposition(await m.registry.metrics()),
            'shoal_raft_leader_changes_total',
          );
          expect(after).toBe(before.get(id)! + 1);
        }
      },
      { timeout: 5_000, interval: 20 },
    );

    // One follower away while the log grows past a snapshot: it lags, then is unreachable.
    const away = [...cluster.members.keys()].find((id) => id !== next.driver.id)!;
    await cluster.stop(away);
    for (let i = 0; i < 20; i++) await next.driver.propose(Buffer.from(`y${i}`));
    let { s, samples } = await scrapeWithStatus(next);
    expectMatchesStatus(samples, s);
    expect(
      valueOf(samples, 'shoal_raft_peer_replication_lag_entries', { peer: away }),
    ).toBeGreaterThanOrEqual(20);
    await waitUntil(
      () => next.driver.status().members.find((m) => m.id === away)?.recentActive === false,
      5_000,
      'the leader to notice the member is away',
    );
    ({ s, samples } = await scrapeWithStatus(next));
    expectMatchesStatus(samples, s);
    expect(valueOf(samples, 'shoal_raft_voters_reachable')).toBe(2);

    // Back: it catches up from the leader's snapshot, which it reports having installed.
    const back = await cluster.start(away);
    await waitUntil(
      () => back.driver.status().applied >= next.driver.status().commit,
      5_000,
      'catch-up',
    );
    const installed = parseExposition(await back.registry.metrics());
    expect(valueOf(installed, 'shoal_raft_snapshot_bytes')).toBeGreaterThan(0);
    // Not one of its own: nothing was appended after the snapshot brought it up to date.
    expect(valueOf(installed, 'shoal_raft_snapshot_duration_seconds_count')).toBe(0);
    await waitUntil(
      () => next.driver.status().members.every((m) => m.match === next.driver.status().lastIndex),
      5_000,
      'the leader to see it caught up',
    );
    ({ s, samples } = await scrapeWithStatus(next));
    expectMatchesStatus(samples, s);
    expect(valueOf(samples, 'shoal_raft_peer_replication_lag_entries', { peer: away })).toBe(0);
  });
});

describe('RaftMetrics lifecycle', () => {
  const fakeSource = () => {
    const listeners = new Set<(l: string | undefined, t: number) => void>();
    const source: RaftStatusSource & { emit(l: string | undefined): void; listeners: number } = {
      status: () => ({
        id: 'm1',
        role: core.Role.Follower,
        leader: 'm2',
        term: 7,
        commit: 10,
        applied: 9,
        lastIndex: 11,
        snapshotIndex: 0,
        members: [{ id: 'm1', address: 'a', voter: true }],
      }),
      onLeaderChange(l) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      emit: (l) => listeners.forEach((f) => f(l, 7)),
      get listeners() {
        return listeners.size;
      },
    };
    return source;
  };

  it('registers, unregisters without leftovers, and registers again', async () => {
    const registry = createDaemonRegistry({ version: 'test' });
    const first = new RaftMetrics(registry);
    // Before the driver exists: the hooks work, the status series are absent.
    let samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_term')).toBeUndefined();
    expect(valueOf(samples, 'shoal_raft_snapshot_bytes')).toBeUndefined();
    const source = fakeSource();
    first.attach(source);
    source.emit('m2');
    source.emit(undefined);
    first.snapshotInstalled(123);
    samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_term')).toBe(7);
    expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(0);
    expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_snapshot_bytes')).toBe(123);

    first.unregister();
    expect(source.listeners).toBe(0);
    samples = parseExposition(await registry.metrics());
    expect(samples.filter((x) => x.name.startsWith('shoal_raft_'))).toEqual([]);
    expect(valueOf(samples, 'shoal_build_info', { version: 'test' })).toBe(1);

    // Re-promotion: a fresh set on the same registry, counting from zero.
    const second = new RaftMetrics(registry);
    second.attach(source);
    samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBe(0);
    expect(valueOf(samples, 'shoal_raft_commit_index')).toBe(10);
    second.unregister();
  });

  it('a collector that throws on scrape leaves the others and reports', async () => {
    const registry = createDaemonRegistry({ version: 'test' });
    const errors: string[] = [];
    const metrics = new RaftMetrics(registry, { onCollectError: (name) => errors.push(name) });
    metrics.attach({
      status: () => {
        throw new Error('driver gone');
      },
      onLeaderChange: () => () => undefined,
    });
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_term')).toBeUndefined();
    expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBe(0);
    expect(valueOf(samples, 'shoal_build_info', { version: 'test' })).toBe(1);
    // The first collect to read the status reports it; the others share its failure.
    expect(errors.length).toBeGreaterThan(0);
    metrics.unregister();
  });
});
