import { directStore } from '@shoal/store/testing/store.fixtures';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LeaderMetrics } from './leader.metrics';

const T0 = Date.parse('2026-11-22T08:00:00.123Z');

describe('LeaderMetrics', () => {
  it('unregisters and registers again on the same registry', async () => {
    const { store } = directStore(2);
    const registry = new Registry();
    const first = new LeaderMetrics(registry, store);
    first.hooks.dispatcher.heartbeat('n1');
    first.unregister();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    const second = new LeaderMetrics(registry, store);
    // A new term starts its counters afresh.
    const heartbeats = await registry.getSingleMetric('shoal_dispatcher_heartbeats_total')!.get();
    expect(heartbeats.values[0]?.value ?? 0).toBe(0);
    second.unregister();
  });

  it('leaves none of its series behind when a name is already taken', () => {
    const { store } = directStore(2);
    const registry = new Registry();
    new Gauge({ name: 'shoal_service_replicas_running', help: 'stray', registers: [registry] });
    expect(() => new LeaderMetrics(registry, store)).toThrow(/already been registered/);
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual([
      'shoal_service_replicas_running',
    ]);
  });

  it('turns the hooks into observations in seconds', async () => {
    const { store } = directStore(2);
    const registry = new Registry();
    const m = new LeaderMetrics(registry, store);
    m.hooks.dispatcher.taskRunning('t1', 1_500);
    m.hooks.scheduler.taskAssigned(
      { ID: 't1', CreatedAt: '2026-11-22T08:00:00.123000000Z' } as never,
      T0 + 40,
    );
    m.hooks.restarts.taskRestarted('s1', 'web');
    m.hooks.restarts.taskRestarted('s1', 'web');
    const sum = async (name: string) => {
      const values = (await registry.getSingleMetric(name)!.get()).values as {
        metricName?: string;
        value: number;
      }[];
      return values.find((v) => v.metricName === `${name}_sum`)?.value;
    };
    expect(await sum('shoal_dispatcher_scheduling_delay_seconds')).toBe(1.5);
    expect(await sum('shoal_scheduler_placement_duration_seconds')).toBeCloseTo(0.04, 9);
    const restarts = async () =>
      (await registry.getSingleMetric('shoal_service_task_restarts_total')!.get()).values;
    // s1 is not in the store: a removed service's restart series is dropped at the scrape.
    expect(await restarts()).toEqual([]);
    await store.update((tx) => {
      tx.create('service', { ID: 's2', Spec: { Name: 'api' } } as never);
    });
    m.hooks.restarts.taskRestarted('s2', 'api');
    expect(await restarts()).toEqual([
      { labels: { service_id: 's2', service_name: 'api' }, value: 1 },
    ]);
    await store.update((tx) => tx.remove('service', 's2'));
    expect(await restarts()).toEqual([]);
    m.unregister();
  });
});
