import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nullLogger } from '@shoal/common';
import { AgentMetrics, createDaemonRegistry, LeaderMetrics, type Registry } from '@shoal/metrics';
import { directStore } from '@shoal/store/testing/store.fixtures';
import { describe, expect, it } from 'vitest';
import { ManagerMetrics } from '../../apps/shoald/src/metrics/manager.metrics';
import { parseCatalogue } from './promql-names';

/**
 * The other half of the chain the dashboard and alert tests start: docs/metrics.md's
 * catalogue is exactly what a daemon exports when it runs everything (manager, leader,
 * agent), with the same types and label names. Together with dashboard.test.ts and
 * alerts.test.ts, every query in deploy/ names a series Shoal really exports.
 */
const catalogue = parseCatalogue(
  readFileSync(path.resolve(__dirname, '../../docs/metrics.md'), 'utf8'),
);

interface Registered {
  name: string;
  type: string;
  labelNames: string[];
}

/** A registry holding every group shoald registers on a leader that also runs an agent. */
function everything(): Registry {
  const registry = createDaemonRegistry({
    version: 'test',
    nodeInfo: () => ({ nodeId: 'n1', role: 'manager' }),
  });
  new ManagerMetrics(registry, nullLogger);
  new LeaderMetrics(registry, directStore().store);
  new AgentMetrics(registry);
  return registry;
}

function registered(registry: Registry): Registered[] {
  return registry.getMetricsAsArray().map((m) => {
    const raw = m as unknown as { name: string; type: string; labelNames?: string[] };
    return { name: raw.name, type: raw.type, labelNames: [...(raw.labelNames ?? [])] };
  });
}

describe('docs/metrics.md against the registry', () => {
  const exported = registered(everything());
  const shoal = exported.filter((m) => m.name.startsWith('shoal_'));

  it('documents every shoal_ metric with its type and label names', () => {
    expect(shoal.length).toBeGreaterThan(30);
    for (const m of shoal) {
      const entry = catalogue.find((e) => !e.wildcard && e.name === m.name);
      expect(entry, `${m.name} is exported but not in docs/metrics.md`).toBeDefined();
      expect(entry!.type.split(' ')[0], `${m.name}'s type`).toBe(m.type);
      expect([...entry!.labels].sort(), `${m.name}'s labels`).toEqual([...m.labelNames].sort());
    }
  });

  it('lists nothing the registry does not export', () => {
    const names = new Set(exported.map((m) => m.name));
    for (const entry of catalogue) {
      if (entry.wildcard) {
        expect(
          exported.some((m) => m.name.startsWith(entry.name)),
          `no metric starts with ${entry.name}`,
        ).toBe(true);
      } else {
        expect(names.has(entry.name), `${entry.name} is documented but not exported`).toBe(true);
      }
    }
  });
});
