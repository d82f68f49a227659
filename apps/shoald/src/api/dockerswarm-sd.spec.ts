/**
 * Prometheus's dockerswarm_sd_configs against Shoal's API, one role at a time: the requests
 * it makes (version negotiation, its filter encoding) and the labels it would build from our
 * answers, per ./testing/dockerswarm-sd (our restatement of its mapping).
 */
import { type Network, type Node, type Service, type Task } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addNode, addTask } from '../control/testing/control.fixtures';
import { type ApiHarness, startApi } from './testing/api-test.harness';
import {
  CLIENT_MAX_API_VERSION,
  clientFilters,
  negotiateVersion,
  OBSERVED_API_VERSION,
  nodeTargets,
  serviceCommon,
  serviceTargets,
  taskCommon,
  taskTargets,
} from './testing/dockerswarm-sd';

const PORT = 9323;
let api: ApiHarness;
let serviceId: string;
let managerId: string;

beforeEach(async () => {
  api = await startApi();
  managerId = api.runtime.nodeId()!;
  await addNode(api.runtime.manager(), {
    ID: 'worker1',
    Spec: { Labels: { zone: 'a', 'disk.type': 'ssd' }, Role: 'worker', Availability: 'drain' },
    Description: {
      Hostname: 'worker-1',
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Engine: { EngineVersion: '0.1.0', Labels: { 'shoal.executor': 'process' } },
    },
    Status: { State: 'ready', Addr: '10.0.0.2' },
  });
  const created = await api.request('POST', '/services/create', {
    Name: 'web',
    Labels: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', team: 'infra' },
    TaskTemplate: { ContainerSpec: { Image: 'nginx:alpine', Labels: { 'app.tier': 'front' } } },
    Mode: { Replicated: { Replicas: 2 } },
  });
  expect(created.status, created.text).toBe(201);
  serviceId = (created.body as { ID: string }).ID;
  const m = api.runtime.manager();
  await addTask(m, { ID: 'task1', ServiceID: serviceId, NodeID: managerId, Slot: 1 });
  await addTask(m, { ID: 'task2', ServiceID: serviceId, NodeID: 'worker1', Slot: 2 });
  await addTask(
    m,
    { ID: 'task0', ServiceID: serviceId, NodeID: 'worker1', Slot: 2, DesiredState: 'shutdown' },
    'shutdown',
  );
});

afterEach(async () => {
  await api.close();
});

/** A GET as Prometheus sends it: under /v1.24 (observed), filters in the Go client's form. */
async function prometheusGet<T>(
  path: string,
  filters?: Record<string, string[]>,
  version = OBSERVED_API_VERSION,
): Promise<T> {
  const q = filters ? `?filters=${encodeURIComponent(clientFilters(filters))}` : '';
  const res = await api.request('GET', `/v${version}${path}${q}`, undefined, {
    'user-agent': 'Go-http-client/1.1',
  });
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body as T;
}

describe('dockerswarm_sd_configs, API version', () => {
  it('answers the same under the observed /v1.24 and under a negotiated version', async () => {
    const ping = await api.request('HEAD', '/_ping');
    expect(ping.status).toBe(200);
    const negotiated = negotiateVersion(ping.headers.get('api-version')!);
    expect(negotiated).toBe(CLIENT_MAX_API_VERSION);
    for (const p of ['/nodes', '/services', '/tasks', '/networks']) {
      expect(await prometheusGet(p, undefined, negotiated)).toEqual(await prometheusGet(p));
    }
  });
});

describe('dockerswarm_sd_configs, role nodes', () => {
  it('gives every node a target at its address with the documented labels', async () => {
    const targets = nodeTargets(await prometheusGet<Node[]>('/nodes'), PORT);
    const byId = new Map(targets.map((t) => [t['__meta_dockerswarm_node_id'], t]));
    expect([...byId.keys()].sort()).toEqual([managerId, 'worker1'].sort());

    const m = byId.get(managerId)!;
    expect(m).toMatchObject({
      __address__: `10.0.0.1:${PORT}`,
      __meta_dockerswarm_node_address: '10.0.0.1',
      __meta_dockerswarm_node_hostname: 'manager-1',
      __meta_dockerswarm_node_role: 'manager',
      __meta_dockerswarm_node_availability: 'active',
      __meta_dockerswarm_node_status: 'ready',
      __meta_dockerswarm_node_manager_leader: 'true',
      __meta_dockerswarm_node_manager_reachability: 'reachable',
      __meta_dockerswarm_node_manager_address: '10.0.0.1:7377',
      __meta_dockerswarm_node_platform_os: 'linux',
    });
    for (const k of [
      '__meta_dockerswarm_node_platform_architecture',
      '__meta_dockerswarm_node_engine_version',
    ]) {
      expect(m[k], k).not.toBe('');
    }

    const w = byId.get('worker1')!;
    expect(w).toMatchObject({
      __address__: `10.0.0.2:${PORT}`,
      __meta_dockerswarm_node_hostname: 'worker-1',
      __meta_dockerswarm_node_role: 'worker',
      __meta_dockerswarm_node_availability: 'drain',
      __meta_dockerswarm_node_label_zone: 'a',
      __meta_dockerswarm_node_label_disk_type: 'ssd',
      __meta_dockerswarm_node_engine_version: '0.1.0',
    });
    // Workers have no ManagerStatus, so no manager_* labels (Prometheus skips them).
    expect(Object.keys(w).filter((k) => k.includes('node_manager_'))).toEqual([]);
  });

  it('honours the filters it sends, in the Go client map form', async () => {
    const managers = await prometheusGet<Node[]>('/nodes', { role: ['manager'] });
    expect(managers.map((n) => n.ID)).toEqual([managerId]);
    const labelled = await prometheusGet<Node[]>('/nodes', { 'node.label': ['zone=a'] });
    expect(labelled.map((n) => n.ID)).toEqual(['worker1']);
  });
});

describe('dockerswarm_sd_configs, role services', () => {
  it('lists services and networks; Shoal has no virtual IPs, so no service target', async () => {
    const services = await prometheusGet<Service[]>('/services');
    const networks = await prometheusGet<Network[]>('/networks');
    expect(networks).toEqual([]);
    expect(services.map((s) => s.ID)).toEqual([serviceId]);
    // What each target would carry, were there one.
    expect(serviceCommon(services[0]!)).toMatchObject({
      __meta_dockerswarm_service_id: serviceId,
      __meta_dockerswarm_service_name: 'web',
      __meta_dockerswarm_service_mode: 'replicated',
      __meta_dockerswarm_service_task_container_image: 'nginx:alpine',
      __meta_dockerswarm_service_label_prometheus_io_scrape: 'true',
      __meta_dockerswarm_service_label_prometheus_io_port: '8080',
      __meta_dockerswarm_service_label_team: 'infra',
    });
    expect(serviceTargets(services, networks, PORT)).toEqual([]);
  });

  it('honours the service filters it sends', async () => {
    const hit = await prometheusGet<Service[]>('/services', {
      label: ['prometheus.io/scrape=true'],
    });
    expect(hit.map((s) => s.ID)).toEqual([serviceId]);
    const miss = await prometheusGet<Service[]>('/services', { mode: ['global'] });
    expect(miss).toEqual([]);
  });
});

describe('dockerswarm_sd_configs, role tasks', () => {
  it('builds the task, service and node labels from our answers', async () => {
    const tasks = await prometheusGet<Task[]>('/tasks', { 'desired-state': ['running'] });
    const services = await prometheusGet<Service[]>('/services');
    const nodes = await prometheusGet<Node[]>('/nodes');
    const networks = await prometheusGet<Network[]>('/networks');
    expect(tasks.map((t) => t.ID).sort()).toEqual(['task1', 'task2']);

    const t2 = taskCommon(
      tasks.find((t) => t.ID === 'task2')!,
      services,
      nodes,
    );
    expect(t2).toMatchObject({
      __meta_dockerswarm_task_id: 'task2',
      __meta_dockerswarm_task_slot: '2',
      __meta_dockerswarm_task_state: 'running',
      __meta_dockerswarm_task_desired_state: 'running',
      __meta_dockerswarm_container_label_app_tier: 'front',
      __meta_dockerswarm_service_id: serviceId,
      __meta_dockerswarm_service_name: 'web',
      __meta_dockerswarm_service_mode: 'replicated',
      __meta_dockerswarm_service_label_prometheus_io_port: '8080',
      __meta_dockerswarm_node_id: 'worker1',
      __meta_dockerswarm_node_address: '10.0.0.2',
      __meta_dockerswarm_node_hostname: 'worker-1',
      __meta_dockerswarm_node_role: 'worker',
    });

    // No published ports in PortStatus and no overlay attachments yet: Prometheus makes no
    // task target from such tasks. GET /metrics/targets covers them (below).
    expect(tasks.every((t) => !t.Status?.PortStatus?.Ports?.length)).toBe(true);
    expect(tasks.every((t) => !t.NetworksAttachments?.length)).toBe(true);
    expect(taskTargets(tasks, services, nodes, networks, PORT)).toEqual([]);
  });
});

describe('GET /networks', () => {
  it('lists and inspects the swarm networks in the store, with filters', async () => {
    await api.runtime.manager().store.update((tx) => {
      tx.create('network', {
        ID: 'net1abc',
        Spec: { Name: 'backend', Labels: { tier: 'db' }, DriverConfiguration: { Name: 'overlay' } },
      } as never);
    });
    const all = await api.request('GET', '/networks');
    expect(all.status).toBe(200);
    expect(all.body).toEqual([
      expect.objectContaining({
        Id: 'net1abc',
        Name: 'backend',
        Scope: 'swarm',
        Driver: 'overlay',
        Internal: false,
        Ingress: false,
        Labels: { tier: 'db' },
      }),
    ]);
    const q = (f: Record<string, string[]>) =>
      api.request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify(f))}`);
    expect((await q({ label: ['tier=db'] })).body).toHaveLength(1);
    expect((await q({ name: ['back'] })).body).toHaveLength(1);
    expect((await q({ driver: ['bridge'] })).body).toEqual([]);
    expect((await q({ type: ['builtin'] })).body).toEqual([]);
    expect((await q({ colour: ['x'] })).status).toBe(400);
    expect((await api.request('GET', '/networks/backend')).body).toMatchObject({ Id: 'net1abc' });
    expect((await api.request('GET', '/networks/net1')).body).toMatchObject({ Id: 'net1abc' });
    const missing = await api.request('GET', '/networks/nope');
    expect([missing.status, missing.body]).toEqual([404, { message: 'network nope not found' }]);
  });
});
