import { type ServiceSpec } from '@shoal/api/swarm';
import { nullLogger, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type OrchestratedNode, type OrchestratedService } from '@shoal/orchestrator';
import { type RaftDriver } from '@shoal/raft';
import { directStore } from '@shoal/store/testing/store.fixtures';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaderServices } from './leader-services';

const LEADER_SERIES = [
  'shoal_dispatcher_sessions',
  'shoal_dispatcher_heartbeats_total',
  'shoal_nodes',
  'shoal_dispatcher_scheduling_delay_seconds',
  'shoal_scheduler_pending_tasks',
  'shoal_scheduler_unschedulable_tasks',
  'shoal_scheduler_placement_duration_seconds',
  'shoal_service_replicas_desired',
  'shoal_service_replicas_running',
  'shoal_service_update_state',
  'shoal_service_task_restarts_total',
];

/** Just what LeaderServices asks of its Raft driver, on one manager whose leader we set. */
function fakeDriver(propose: (data: Uint8Array) => Promise<{ index: number }>) {
  let leader: string | undefined;
  const listeners = new Set<(leader: string | undefined) => void>();
  const driver = {
    id: 'm1',
    leaderId: () => leader,
    isLeader: () => leader === 'm1',
    onLeaderChange: (l: (leader: string | undefined) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    readBarrier: () => Promise.resolve(),
    propose: async (data: Uint8Array) => ({ ...(await propose(data)), term: 1 }),
  };
  const setLeader = (id: string | undefined) => {
    leader = id;
    for (const l of listeners) l(id);
  };
  return { driver: driver as unknown as RaftDriver, setLeader };
}

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

function setup() {
  const { store, proposer, clock } = directStore(11);
  const { driver, setLeader } = fakeDriver((d) => proposer.propose(d));
  const registry = new Registry();
  const services = new LeaderServices(
    driver,
    store,
    clock,
    objectIdGenerator(seededRandomBytes(12)),
    nullLogger,
    registry,
  );
  stops.push(() => services.stop());
  const registered = () => LEADER_SERIES.filter((n) => registry.getSingleMetric(n) !== undefined);
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const m = await registry.getSingleMetric(name)?.get();
    const match = m?.values.filter((v) =>
      Object.entries(labels).every(([k, want]) => v.labels[k] === want),
    );
    return match?.reduce((n, v) => n + v.value, 0);
  };
  /** A histogram's observation count. */
  const observed = async (name: string) => {
    const m = await registry.getSingleMetric(name)?.get();
    const values = m?.values as { metricName?: string; value: number }[] | undefined;
    return values?.find((v) => v.metricName === `${name}_count`)?.value;
  };
  return { store, clock, services, registry, setLeader, registered, value, observed };
}

describe('LeaderServices: leader metrics', () => {
  it('registers the leader series while this node leads, and again after a re-election', async () => {
    const { services, setLeader, registered } = setup();
    expect(registered()).toEqual([]);
    setLeader('m1');
    await vi.waitFor(() => expect(services.dispatch()).toBeDefined());
    expect(registered()).toEqual(LEADER_SERIES);

    setLeader('m2');
    expect(services.dispatch()).toBeUndefined();
    expect(registered()).toEqual([]);

    // Re-elected: the same names register again (no "already registered").
    setLeader('m1');
    await vi.waitFor(() => expect(services.dispatch()).toBeDefined());
    expect(registered()).toEqual(LEADER_SERIES);

    services.stop();
    expect(registered()).toEqual([]);
  });

  it('still leads when the leader series cannot be registered', async () => {
    const { services, setLeader, registry, registered } = setup();
    new Gauge({ name: 'shoal_nodes', help: 'stray', registers: [registry] });
    setLeader('m1');
    await vi.waitFor(() => expect(services.dispatch()).toBeDefined());
    expect(registered()).toEqual(['shoal_nodes']);
  });

  it('feeds the series from the running stack: sessions, heartbeats, placements, replicas', async () => {
    const { store, services, setLeader, value, observed } = setup();
    setLeader('m1');
    await vi.waitFor(() => expect(services.dispatch()).toBeDefined());
    await store.update((tx) => {
      tx.create<OrchestratedNode>('node', {
        ID: 'w1',
        Spec: { Role: 'worker', Availability: 'active' },
        Description: { Hostname: 'w1', Platform: { OS: 'linux', Architecture: 'x86_64' } },
        Status: { State: 'ready' },
      });
    });
    const { dispatcher } = services.dispatch()!;
    const session = await dispatcher.openSession('w1', '{}', '10.0.0.2', () => undefined);
    dispatcher.heartbeat('w1', session.sessionId);
    expect(await value('shoal_dispatcher_sessions')).toBe(1);
    expect(await value('shoal_dispatcher_heartbeats_total')).toBe(1);
    expect(await value('shoal_nodes', { state: 'ready', role: 'worker' })).toBe(1);

    const spec: ServiceSpec = {
      Name: 'web',
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    };
    await store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: spec });
    });
    // The orchestrator creates two tasks and the scheduler assigns both: two placements.
    await vi.waitFor(async () =>
      expect(await observed('shoal_scheduler_placement_duration_seconds')).toBe(2),
    );
    expect(await value('shoal_service_replicas_desired', { service_name: 'web' })).toBe(2);
    expect(await value('shoal_service_replicas_running', { service_name: 'web' })).toBe(0);
    expect(await value('shoal_scheduler_pending_tasks')).toBe(0);

    // The agent reports both running: two assignment → running delays, two running replicas.
    const ids = store.view((tx) => tx.list('task').map((t) => t.ID));
    await dispatcher.updateTaskStatus(
      'w1',
      session.sessionId,
      ids.map((taskId) => ({
        taskId,
        statusJson: JSON.stringify({ State: 'running', Timestamp: '2026-11-22T08:00:01Z' }),
      })),
    );
    expect(await observed('shoal_dispatcher_scheduling_delay_seconds')).toBe(2);
    expect(await value('shoal_service_replicas_running', { service_name: 'web' })).toBe(2);
  });
});
