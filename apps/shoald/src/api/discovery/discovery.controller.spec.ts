import { afterEach, describe, expect, it } from 'vitest';
import { addNode, addTask } from '../../control/testing/control.fixtures';
import { type StoredNode } from '../../control/stored.types';
import { type ApiHarness, startApi, startApiHarness } from '../testing/api-test.harness';
import { type TargetGroup } from './metrics-targets';

let api: ApiHarness;
afterEach(async () => {
  await api.close();
});

/** Sets a node's engine labels in the store, as its agent's description would. */
async function setEngineLabels(nodeId: string, labels: Record<string, string>): Promise<void> {
  await api.runtime.manager().store.update((tx) => {
    const n = structuredClone(tx.get<StoredNode>('node', nodeId)!);
    const d = n.Description ?? {};
    d.Engine = { ...d.Engine, Labels: { ...d.Engine?.Labels, ...labels } };
    tx.update<StoredNode>('node', { ...n, Description: d });
  });
}

async function service(labels: Record<string, string>, name = 'web'): Promise<string> {
  const res = await api.request('POST', '/services/create', {
    Name: name,
    Labels: labels,
    TaskTemplate: { ContainerSpec: { Image: 'nginx:alpine' } },
  });
  expect(res.status, res.text).toBe(201);
  return (res.body as { ID: string }).ID;
}

async function targets(): Promise<TargetGroup[]> {
  const res = await api.request('GET', '/metrics/targets');
  expect(res.status, res.text).toBe(200);
  return res.body as TargetGroup[];
}

describe('GET /metrics/targets', () => {
  it('lists node metrics endpoints and the running tasks of labelled services', async () => {
    api = await startApi();
    const managerId = api.runtime.nodeId()!;
    const m = api.runtime.manager();
    await setEngineLabels(managerId, { 'shoal.metrics-addr': '10.0.0.1:9323' });
    await addNode(m, {
      ID: 'worker1',
      Spec: { Labels: { rack: 'r1' }, Role: 'worker', Availability: 'active' },
      Description: {
        Hostname: 'worker-1',
        Engine: { Labels: { 'shoal.metrics-addr': '10.0.0.2:9323' } },
      },
      Status: { State: 'ready', Addr: '10.0.0.2' },
    });
    // A node without the label (metrics off) is not a target.
    await addNode(m, { ID: 'worker2', Status: { State: 'ready', Addr: '10.0.0.3' } });
    const scraped = await service({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/stats',
    });
    const unlabelled = await service({}, 'quiet');
    const off = await service(
      { 'prometheus.io/scrape': 'false', 'prometheus.io/port': '1' },
      'off',
    );
    await addTask(m, { ID: 'taskA', ServiceID: scraped, NodeID: 'worker1', Slot: 3 });
    await addTask(m, { ID: 'taskB', ServiceID: scraped, NodeID: 'worker2', Slot: 1 }, 'starting');
    await addTask(
      m,
      { ID: 'taskC', ServiceID: scraped, NodeID: 'worker2', Slot: 2, DesiredState: 'shutdown' },
      'running',
    );
    await addTask(m, { ID: 'taskD', ServiceID: unlabelled, NodeID: 'worker1', Slot: 1 });
    await addTask(m, { ID: 'taskE', ServiceID: off, NodeID: 'worker1', Slot: 1 });

    const groups = await targets();
    expect(groups).toEqual([
      {
        targets: ['10.0.0.1:9323'],
        labels: expect.objectContaining({
          __meta_shoal_target: 'node',
          __meta_shoal_node_id: managerId,
          __meta_shoal_node_hostname: 'manager-1',
          __meta_shoal_node_role: 'manager',
          __meta_shoal_node_address: '10.0.0.1',
          __meta_shoal_node_state: 'ready',
          __meta_shoal_node_availability: 'active',
        }),
      },
      {
        targets: ['10.0.0.2:9323'],
        labels: expect.objectContaining({
          __meta_shoal_target: 'node',
          __meta_shoal_node_id: 'worker1',
          __meta_shoal_node_role: 'worker',
          __meta_shoal_node_label_rack: 'r1',
        }),
      },
      {
        targets: ['10.0.0.2:8080'],
        labels: expect.objectContaining({
          __meta_shoal_target: 'task',
          __metrics_path__: '/stats',
          __meta_shoal_node_id: 'worker1',
          __meta_shoal_node_hostname: 'worker-1',
          __meta_shoal_service_id: scraped,
          __meta_shoal_service_name: 'web',
          __meta_shoal_task_id: 'taskA',
          __meta_shoal_task_slot: '3',
          __meta_shoal_service_label_prometheus_io_port: '8080',
        }),
      },
    ]);
    // Every label name is one Prometheus accepts.
    for (const g of groups) {
      for (const k of Object.keys(g.labels)) expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    }
  });

  it('skips a labelled service with an unusable port or path, and logs it once', async () => {
    api = await startApi();
    const m = api.runtime.manager();
    const nodeId = api.runtime.nodeId()!;
    const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }),
      child: () => logger,
    };
    const runtime = api.runtime;
    await api.close();
    api = await startApiHarness({ runtime, logger });
    const cases = {
      word: { 'prometheus.io/port': 'http' },
      big: { 'prometheus.io/port': '70000' },
      none: {},
      path: { 'prometheus.io/port': '80', 'prometheus.io/path': 'metrics' },
      query: { 'prometheus.io/port': '80', 'prometheus.io/path': '/metrics?format=prom' },
      fragment: { 'prometheus.io/port': '80', 'prometheus.io/path': '/metrics#x' },
    };
    const ids: Record<string, string> = {};
    for (const [name, extra] of Object.entries(cases)) {
      ids[name] = await service({ 'prometheus.io/scrape': 'true', ...extra }, name);
      await addTask(m, { ID: `t-${name}`, ServiceID: ids[name], NodeID: nodeId, Slot: 1 });
    }
    const good = await service(
      { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '81' },
      'ok',
    );
    await addTask(m, { ID: 't-ok', ServiceID: good, NodeID: nodeId, Slot: 1 });

    const first = await targets();
    const second = await targets();
    expect(second).toEqual(first);
    const taskIds = first.map((g) => g.labels['__meta_shoal_task_id']).filter(Boolean);
    expect(taskIds).toEqual(['t-ok']);
    expect(first.find((g) => g.labels['__meta_shoal_task_id'] === 't-ok')!.targets).toEqual([
      '10.0.0.1:81',
    ]);
    // One warning per bad service, not one per request.
    expect(warnings).toHaveLength(6);
    const reasons = Object.fromEntries(
      warnings.map((w) => [w.fields!['service'] as string, w.fields!['reason'] as string]),
    );
    expect(reasons['word']).toMatch(/prometheus.io\/port="http" is not a port number/);
    expect(reasons['big']).toMatch(/"70000" is not a port number/);
    expect(reasons['none']).toMatch(/no prometheus.io\/port label/);
    expect(reasons['path']).toMatch(/prometheus.io\/path="metrics" must be an absolute path/);
    expect(reasons['query']).toMatch(/"\/metrics\?format=prom" must be a plain path/);
    expect(reasons['fragment']).toMatch(/"\/metrics#x" must be a plain path/);

    // A service fixed, then broken again, is logged again: the log-once memory holds only
    // the causes of the latest answer, not every cause ever seen.
    const setLabels = async (labels: Record<string, string>) => {
      const cur = await api.request('GET', `/services/${ids['word']}`);
      const svc = cur.body as { Version: { Index: number }; Spec: Record<string, unknown> };
      const res = await api.request(
        'POST',
        `/services/${ids['word']}/update?version=${svc.Version.Index}`,
        { ...svc.Spec, Labels: labels },
      );
      expect(res.status, res.text).toBe(200);
    };
    await setLabels({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '82' });
    await targets();
    expect(warnings).toHaveLength(6);
    await setLabels({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': 'http' });
    await targets();
    await targets();
    expect(warnings).toHaveLength(7);
    expect(warnings[6]!.fields!['service']).toBe('word');
  });

  it('answers 503 off a manager, like the other cluster-wide reads', async () => {
    api = await startApi({ init: false });
    const res = await api.request('GET', '/metrics/targets');
    expect(res.status).toBe(503);
    expect((res.body as { message: string }).message).toMatch(/not a swarm manager/);
  });
});
