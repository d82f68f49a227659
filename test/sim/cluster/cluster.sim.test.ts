import { describe, expect, it } from 'vitest';
import { type ClusterSimResult, runClusterSimulation } from './cluster.sim';

/**
 * Issue #6 under chaos (see README.md, "Cluster chaos"): a fixed sweep of seeds, each a full
 * run of three managers, the leader services and eight real agents through leader crashes,
 * partitions and node deaths. SHOAL_CLUSTER_SIM_SEEDS and SHOAL_CLUSTER_SIM_FIRST_SEED change
 * the sweep; `npx tsx test/sim/cluster/cluster.cli.ts` sweeps more outside Vitest.
 */
const SEEDS = Number(process.env.SHOAL_CLUSTER_SIM_SEEDS ?? 24);
const FIRST_SEED = Number(process.env.SHOAL_CLUSTER_SIM_FIRST_SEED ?? 1);
const seeds = Array.from({ length: SEEDS }, (_, i) => FIRST_SEED + i);

function explain(r: ClusterSimResult): string {
  return [
    `seed ${r.seed}: ${r.failure}`,
    `replay: ${r.replay}`,
    'last events:',
    ...r.lastEvents.map((e) => `  ${e}`),
  ].join('\n');
}

describe('cluster chaos simulation (issue #6)', () => {
  const results: ClusterSimResult[] = [];

  it.each(seeds)('seed %i converges and never runs a slot twice once settled', async (seed) => {
    const r = await runClusterSimulation({ seed });
    results.push(r);
    expect(r.ok, explain(r)).toBe(true);
    // Not vacuous: the run had leaders come and go and nodes die.
    expect(r.stats.leaderStacks, 'leader services were started more than once').toBeGreaterThan(1);
    expect(r.stats.hostDeaths + r.stats.agentRestarts + r.stats.agentPartitions).toBeGreaterThan(0);
  });

  it('the sweep crashed leaders, partitioned managers and agents, and killed hosts', () => {
    const total = (k: keyof ClusterSimResult['stats']) =>
      results.reduce((a, r) => a + r.stats[k], 0);
    expect(results).toHaveLength(seeds.length);
    expect(total('leaderCrashes')).toBeGreaterThan(0);
    expect(total('managerPartitions')).toBeGreaterThan(0);
    expect(total('leaderTransfers')).toBeGreaterThan(0);
    expect(total('hostDeaths')).toBeGreaterThan(0);
    expect(total('agentRestarts')).toBeGreaterThan(0);
    expect(total('agentPartitions')).toBeGreaterThan(0);
    expect(total('scales')).toBeGreaterThan(0);
    expect(total('imageUpdates')).toBeGreaterThan(0);
  });

  it('replays a seed exactly', async () => {
    const a = await runClusterSimulation({ seed: 7, chaosMs: 15_000 });
    const b = await runClusterSimulation({ seed: 7, chaosMs: 15_000 });
    expect(a.ok, explain(a)).toBe(true);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.stats).toEqual(a.stats);
  });

  it('catches a second running task in a settled slot (the checks are not vacuous)', async () => {
    for (const seed of [1, 2]) {
      const r = await runClusterSimulation({ seed, chaosMs: 15_000, broken: 'duplicate-slot' });
      expect(r.ok).toBe(false);
      expect(r.failure).toMatch(/after settling: \S+ slot \d+: 2 tasks running in the store/);
      expect(r.replay).toContain('--broken duplicate-slot');
    }
  });
});
