import { type StoreChangeEvent, type StoredObject } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { encodeEventLine, mapStoreChange } from './event-message.mapper';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function obj(id: string, extra: Record<string, unknown> = {}): StoredObject {
  return { ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', ...extra } as StoredObject;
}

function change(
  kind: StoreChangeEvent['kind'],
  action: StoreChangeEvent['action'],
  object: StoredObject,
  previous?: StoredObject,
): StoreChangeEvent {
  return { type: 'change', kind, action, object, previous, index: 7, time: T };
}

describe('mapStoreChange', () => {
  it("maps a service create to Docker's message", () => {
    const e = mapStoreChange(change('service', 'create', obj('svc1', { Spec: { Name: 'web' } })))!;
    expect(e.message).toEqual({
      Type: 'service',
      Action: 'create',
      Actor: { ID: 'svc1', Attributes: { name: 'web' } },
      scope: 'swarm',
      time: Math.floor(T / 1000),
      timeNano: T * 1e6,
    });
    expect(e.timeNano).toBe(BigInt(T) * 1_000_000n);
  });

  it('reports what changed on node updates, lower-cased as Docker', () => {
    const before = obj('n1', {
      Spec: { Availability: 'active', Role: 'manager' },
      Description: { Hostname: 'host-a' },
      Status: { State: 'ready' },
      ManagerStatus: { Leader: true, Reachability: 'reachable' },
    });
    const after = obj('n1', {
      Spec: { Availability: 'drain', Role: 'manager' },
      Description: { Hostname: 'host-a' },
      Status: { State: 'down' },
      ManagerStatus: { Leader: false, Reachability: 'unreachable' },
    });
    const e = mapStoreChange(change('node', 'update', after, before))!;
    expect(e.message.Actor!.Attributes).toEqual({
      name: 'host-a',
      'availability.old': 'active',
      'availability.new': 'drain',
      'state.old': 'ready',
      'state.new': 'down',
      'leader.old': 'true',
      'leader.new': 'false',
      'reachability.old': 'reachable',
      'reachability.new': 'unreachable',
    });
  });

  it('reports role changes, and no leader fields across promotion', () => {
    const before = obj('n1', { Spec: { Name: 'n', Role: 'worker' } });
    const after = obj('n1', {
      Spec: { Name: 'n', Role: 'manager' },
      ManagerStatus: { Leader: false },
    });
    expect(
      mapStoreChange(change('node', 'update', after, before))!.message.Actor!.Attributes,
    ).toEqual({
      name: 'n',
      'role.old': 'worker',
      'role.new': 'manager',
    });
  });

  it('reports image, replicas and update state on service updates', () => {
    const spec = (image: string, replicas: number) => ({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: image } },
      Mode: { Replicated: { Replicas: replicas } },
    });
    const before = obj('s', { Spec: spec('nginx:1', 2) });
    const mid = obj('s', { Spec: spec('nginx:2', 5), UpdateStatus: { State: 'updating' } });
    const after = obj('s', { Spec: spec('nginx:2', 5), UpdateStatus: { State: 'completed' } });
    expect(
      mapStoreChange(change('service', 'update', mid, before))!.message.Actor!.Attributes,
    ).toEqual({
      name: 'web',
      'image.old': 'nginx:1',
      'image.new': 'nginx:2',
      'replicas.old': '2',
      'replicas.new': '5',
      'updatestate.new': 'updating',
    });
    expect(
      mapStoreChange(change('service', 'update', after, mid))!.message.Actor!.Attributes,
    ).toEqual({
      name: 'web',
      'updatestate.old': 'updating',
      'updatestate.new': 'completed',
    });
  });

  it('maps secrets, configs and networks with their name, and removals', () => {
    for (const kind of ['secret', 'config', 'network'] as const) {
      const e = mapStoreChange(change(kind, 'remove', obj('x', { Spec: { Name: 'n' } })))!;
      expect(e.message).toMatchObject({
        Type: kind,
        Action: 'remove',
        Actor: { ID: 'x', Attributes: { name: 'n' } },
      });
    }
  });

  it('emits nothing for the cluster object', () => {
    expect(mapStoreChange(change('cluster', 'update', obj('c'), obj('c')))).toBeUndefined();
  });
});

describe('mapStoreChange for tasks (a Shoal addition)', () => {
  const task = (extra: Record<string, unknown>) =>
    obj('t1', {
      ServiceID: 'svc1',
      ServiceAnnotations: { Name: 'web' },
      Slot: 3,
      DesiredState: 'running',
      Status: { State: 'pending', Message: 'created' },
      ...extra,
    });

  it('names a replicated task service.slot.id and says where it belongs', () => {
    const e = mapStoreChange(change('task', 'create', task({})))!;
    expect(e.message).toMatchObject({
      Type: 'task',
      Action: 'create',
      scope: 'swarm',
      Actor: {
        ID: 't1',
        Attributes: { name: 'web.3.t1', 'service.id': 'svc1', 'service.name': 'web', slot: '3' },
      },
    });
  });

  it('uses the node ID in the name of a global task', () => {
    const e = mapStoreChange(change('task', 'create', task({ Slot: undefined, NodeID: 'n9' })))!;
    expect(e.message.Actor!.Attributes).toEqual({
      name: 'web.n9.t1',
      'service.id': 'svc1',
      'service.name': 'web',
      'node.id': 'n9',
    });
  });

  it('reports state and desired state changes, lower-cased', () => {
    const before = task({ NodeID: 'n1', Status: { State: 'running' } });
    const after = task({ NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'failed' } });
    expect(
      mapStoreChange(change('task', 'update', after, before))!.message.Actor!.Attributes,
    ).toMatchObject({
      'node.id': 'n1',
      'state.old': 'running',
      'state.new': 'failed',
      'desiredstate.old': 'running',
      'desiredstate.new': 'shutdown',
    });
  });

  it('reports an assignment (node set with the state change)', () => {
    const before = task({});
    const after = task({ NodeID: 'n2', Status: { State: 'assigned' } });
    expect(
      mapStoreChange(change('task', 'update', after, before))!.message.Actor!.Attributes,
    ).toMatchObject({ 'node.id': 'n2', 'state.old': 'pending', 'state.new': 'assigned' });
  });

  it('drops task updates that change nothing an event reports', () => {
    const before = task({ Status: { State: 'running', Message: 'started' } });
    const after = task({ Status: { State: 'running', Message: 'still started', PortStatus: {} } });
    expect(mapStoreChange(change('task', 'update', after, before))).toBeUndefined();
  });

  it('maps task removals', () => {
    expect(mapStoreChange(change('task', 'remove', task({})))!.message).toMatchObject({
      Type: 'task',
      Action: 'remove',
      Actor: { ID: 't1' },
    });
  });
});

describe('encodeEventLine', () => {
  it('writes timeNano exactly, one JSON value per line', () => {
    const e = mapStoreChange(change('service', 'create', obj('s', { Spec: { Name: 'web' } })))!;
    const exact = { ...e, timeNano: 1_767_323_045_678_123_456n };
    const line = encodeEventLine(exact);
    expect(line.endsWith('}\n')).toBe(true);
    expect(line).toContain('"timeNano":1767323045678123456}');
    expect(JSON.parse(line)).toMatchObject({ Type: 'service', Action: 'create', scope: 'swarm' });
  });
});
