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

  it('emits nothing for tasks and the cluster object', () => {
    expect(mapStoreChange(change('task', 'create', obj('t')))).toBeUndefined();
    expect(mapStoreChange(change('cluster', 'update', obj('c'), obj('c')))).toBeUndefined();
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
