import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nullLogger } from '@shoal/common';
import { createDaemonRegistry, type Registry } from '@shoal/metrics';
import { parseExposition, valueOf } from '@shoal/metrics/registry.testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManagerNode } from '../daemon/manager.node';
import { singleManagerStarter } from '../daemon/testing/manager-cluster';
import { ManagerMetrics } from './manager.metrics';

const managerSeries = (text: string) =>
  parseExposition(text).filter(
    (s) => s.name.startsWith('shoal_raft_') || s.name.startsWith('shoal_store_'),
  );

describe('ManagerMetrics', () => {
  it('a second set on the same registry is refused and leaves the first intact', async () => {
    const registry = createDaemonRegistry({ version: 'v' });
    const first = new ManagerMetrics(registry, nullLogger);
    first.attach(
      {
        status: () => {
          throw new Error('not needed here');
        },
        onLeaderChange: () => () => undefined,
      },
      { count: () => 2 },
    );
    expect(() => new ManagerMetrics(registry, nullLogger)).toThrow(/already been registered/);
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'service' })).toBe(2);
    expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBe(0);
    first.unregister();
    expect(managerSeries(await registry.metrics())).toEqual([]);
    new ManagerMetrics(registry, nullLogger).unregister();
  });
});

describe('ManagerNode with a registry', () => {
  let root = '';
  let running: ManagerNode | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('exports Raft and store series while it runs, none once stopped, and again on restart', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-manager-metrics-'));
    const registry: Registry = createDaemonRegistry({ version: 'v' });
    const start = await singleManagerStarter(root, { metrics: registry });

    running = await start(true);
    await running.store.update((tx) => {
      tx.create('config', { Spec: { Name: 'one' } });
      tx.create('config', { Spec: { Name: 'two' } });
    });
    let samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_voters')).toBe(1);
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'config' })).toBe(2);
    expect(
      valueOf(samples, 'shoal_store_transaction_duration_seconds_count', { outcome: 'committed' }),
    ).toBe(1);
    expect(valueOf(samples, 'shoal_raft_proposal_duration_seconds_count')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);

    await running.stop();
    running = undefined;
    samples = parseExposition(await registry.metrics());
    expect(managerSeries(await registry.metrics())).toEqual([]);
    expect(valueOf(samples, 'shoal_build_info', { version: 'v' })).toBe(1);

    // As after a re-promotion: the same registry takes a fresh set, without a name clash.
    running = await start(false);
    samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(1);
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'config' })).toBe(2);
    expect(
      valueOf(samples, 'shoal_store_transaction_duration_seconds_count', { outcome: 'committed' }),
    ).toBe(0);
  });
});
