import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store';
import { type StoreEvent } from './store.contract';
import { StoreError, StoreOutcomeUnknownError } from './store.errors';
import { QueuedProposer } from './testing/direct.proposer';
import {
  directStore,
  service,
  type ServiceLike,
  T0,
  task,
  type TaskLike,
} from './testing/store.fixtures';
import { ManualClock } from '@shoal/common';

async function createService(store: MemoryStore, name: string): Promise<ServiceLike> {
  const { created } = await store.update((tx) => void tx.create('service', service(name)));
  return store.view((tx) => tx.get<ServiceLike>('service', created[0]!)!);
}

function renamed(s: ServiceLike, name: string): ServiceLike {
  const copy = structuredClone(s);
  copy.Spec.Name = name;
  return copy;
}

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('MemoryStore writes', () => {
  it('creates with an ID, Docker timestamps and the applied index as version', async () => {
    const { store, clock } = directStore();
    clock.set(T0);
    const result = await store.update((tx) => {
      const s = tx.create<ServiceLike>('service', service('web'));
      expect(s.ID).toHaveLength(25);
      expect(s.Version.Index).toBe(0); // provisional until applied
      expect(tx.get('service', s.ID)).toBe(s); // the transaction reads its own writes
      expect(tx.getByName('service', 'WEB')).toBe(s);
    });
    expect(result).toEqual({ index: 1, created: [expect.any(String)] });
    const s = store.view((tx) => tx.get<ServiceLike>('service', result.created[0]!))!;
    expect(s).toMatchObject({
      Spec: { Name: 'web' },
      Version: { Index: 1 },
      CreatedAt: '2026-11-22T08:00:00.123000000Z',
      UpdatedAt: '2026-11-22T08:00:00.123000000Z',
    });
    expect(store.lastIndex).toBe(1);
  });

  it('keeps a caller-given ID', async () => {
    const { store } = directStore();
    const { created } = await store.update((tx) => {
      tx.create('node', { ID: 'node-1' });
    });
    expect(created).toEqual(['node-1']);
    expect(store.view((tx) => tx.get('node', 'node-1'))?.ID).toBe('node-1');
  });

  it('updates: keeps CreatedAt, sets UpdatedAt and the new version', async () => {
    const { store, clock } = directStore();
    const s = await createService(store, 'web');
    clock.advance(1500);
    const { index } = await store.update((tx) => void tx.update('service', renamed(s, 'api')));
    const after = store.view((tx) => tx.get<ServiceLike>('service', s.ID))!;
    expect(index).toBe(2);
    expect(after.Version.Index).toBe(2);
    expect(after.CreatedAt).toBe(s.CreatedAt);
    expect(after.UpdatedAt).toBe('2026-11-22T08:00:01.623000000Z');
    expect(
      store.view((tx) => [tx.getByName('service', 'web'), tx.getByName('service', 'api')]),
    ).toEqual([undefined, after]);
  });

  it('rejects a stale update with "update out of sequence" and changes nothing', async () => {
    const { store } = directStore();
    const s = await createService(store, 'web');
    await store.update((tx) => void tx.update('service', renamed(s, 'v2')));
    const before = store.snapshot();

    // Early: the transaction already sees the newer version.
    const early = await rejection(
      store.update((tx) => void tx.update('service', renamed(s, 'v3'))),
    );
    expect(early).toMatchObject({ code: 'VersionConflict', kind: 'service', id: s.ID });
    expect(early.message).toBe('update out of sequence');
    expect(store.snapshot()).toEqual(before);
    expect(store.lastIndex).toBe(2); // nothing proposed
  });

  it('rejects at apply time when another write got in first', async () => {
    const proposer = new QueuedProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    proposer.attach(store);
    const p0 = store.update((tx) => void tx.create('service', service('web')));
    await proposer.commit();
    const s = store.view((tx) => tx.list<ServiceLike>('service')[0]!);
    await p0;

    // Two writers read version 1; both pass their early checks.
    const a = store.update((tx) => void tx.update('service', renamed(s, 'a')));
    const b = store.update((tx) => void tx.update('service', renamed(s, 'b')));
    await proposer.commit([1, 0]); // b is ordered first
    expect((await b).index).toBe(2);
    const error = await rejection(a);
    expect(error).toMatchObject({ code: 'VersionConflict', message: 'update out of sequence' });
    expect(store.view((tx) => tx.get<ServiceLike>('service', s.ID))!.Spec.Name).toBe('b');
    expect(store.lastIndex).toBe(3); // the failed entry still counts as applied
  });

  it('rejects name conflicts, case-insensitively, early and at apply time', async () => {
    const { store } = directStore();
    await createService(store, 'web');
    const early = await rejection(store.update((tx) => void tx.create('service', service('Web'))));
    expect(early).toMatchObject({
      code: 'NameConflict',
      message: 'name conflicts with an existing object: Web',
    });

    const proposer = new QueuedProposer();
    const racy = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    proposer.attach(racy);
    const first = racy.update((tx) => void tx.create('network', { Spec: { Name: 'net' } }));
    const second = racy.update((tx) => void tx.create('network', { Spec: { Name: 'net' } }));
    await proposer.commit();
    await first;
    expect(await rejection(second)).toMatchObject({ code: 'NameConflict', kind: 'network' });
    expect(racy.view((tx) => tx.list('network'))).toHaveLength(1);
  });

  it('lets unnamed kinds share names', async () => {
    const { store } = directStore();
    await store.update((tx) => {
      tx.create('node', { Spec: { Name: 'n' } });
      tx.create('node', { Spec: { Name: 'n' } });
    });
    expect(store.view((tx) => tx.list('node'))).toHaveLength(2);
  });

  it('frees a name and reuses it within one transaction', async () => {
    const { store } = directStore();
    const s = await createService(store, 'web');
    await store.update((tx) => {
      tx.remove('service', s.ID);
      tx.create('service', service('web'));
    });
    const now = store.view((tx) => tx.getByName('service', 'web'))!;
    expect(now.ID).not.toBe(s.ID);
  });

  it('reports NotFound for updates and removes of missing objects', async () => {
    const { store } = directStore();
    const s = await createService(store, 'web');
    await store.update((tx) => tx.remove('service', s.ID));
    const upd = await rejection(store.update((tx) => void tx.update('service', s)));
    expect(upd).toMatchObject({ code: 'NotFound', message: `service ${s.ID} not found` });
    const rm = await rejection(store.update((tx) => tx.remove('task', 'nope')));
    expect(rm).toMatchObject({ code: 'NotFound', kind: 'task', id: 'nope' });
  });

  it('reports AlreadyExists for a duplicate ID', async () => {
    const { store } = directStore();
    await store.update((tx) => void tx.create('node', { ID: 'n1' }));
    const e = await rejection(store.update((tx) => void tx.create('node', { ID: 'n1' })));
    expect(e).toMatchObject({ code: 'AlreadyExists', message: 'node n1 already exists' });
  });

  it('applies a proposal all or nothing', async () => {
    const proposer = new QueuedProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    proposer.attach(store);
    const setup = store.update((tx) => void tx.create('service', service('taken')));
    const multi = store.update((tx) => {
      tx.create('task', task('s', 'n'));
      tx.create('node', { ID: 'n' });
      tx.create('service', service('taken')); // fine in this transaction's view, not at apply
    });
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e));
    await proposer.commit();
    await setup;
    expect(await rejection(multi)).toMatchObject({ code: 'NameConflict' });
    expect(store.view((tx) => [tx.list('task').length, tx.list('node').length])).toEqual([0, 0]);
    expect(events.map((e) => e.type)).toEqual(['change', 'commit']); // only the setup entry
  });

  it('proposes nothing when the transaction throws or writes nothing', async () => {
    const { store, proposer } = directStore();
    await expect(
      store.update((tx) => {
        tx.create('node', {});
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.update((tx) => void tx.list('node'))).toEqual({ index: 0, created: [] });
    // Created and removed again: no net change either.
    await store.update((tx) => tx.remove('node', tx.create('node', {}).ID));
    expect(proposer.log).toHaveLength(0);
  });

  it('refuses asynchronous transaction callbacks', async () => {
    const { store, proposer } = directStore();
    const asyncFn = async () => undefined;
    await expect(store.update(asyncFn as never)).rejects.toThrow('synchronous');
    expect(proposer.log).toHaveLength(0);
  });

  it('coalesces several writes to one object into one action', async () => {
    const { store, proposer } = directStore();
    const s = await createService(store, 'web');
    await store.update((tx) => {
      const once = tx.update('service', renamed(s, 'one'));
      tx.update('service', renamed(once, 'two'));
    });
    const proposal = JSON.parse(new TextDecoder().decode(proposer.log[1]!.data));
    expect(proposal.actions).toHaveLength(1);
    // Only the changed field travels, with the version the transaction read.
    expect(proposal.actions[0]).toEqual({
      op: 'update',
      kind: 'service',
      id: s.ID,
      version: 1,
      set: { Spec: { Name: 'two', Labels: {} } },
    });
    expect(store.view((tx) => tx.get<ServiceLike>('service', s.ID))!.Spec.Name).toBe('two');
  });

  it('passes proposer errors through and forgets the request', async () => {
    const proposer = new QueuedProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    proposer.attach(store);
    const p = store.update((tx) => void tx.create('node', {}));
    proposer.failAll(new Error('not the leader'));
    await expect(p).rejects.toThrow('not the leader');
    expect(waitingSize(store)).toBe(0);
  });

  it('does not record outcomes nobody waits for', async () => {
    const a = directStore(1);
    const b = directStore(2);
    a.proposer.attach(b.store); // b applies a's entries but never proposed them
    await a.store.update((tx) => void tx.create('node', {}));
    expect(waitingSize(a.store)).toBe(0);
    expect(waitingSize(b.store)).toBe(0);
    expect(b.store.view((tx) => tx.list('node'))).toHaveLength(1);
  });

  it('reports an unknown outcome if a restore replaced the entry', async () => {
    const proposer = new QueuedProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    const image = store.snapshot();
    const p = store.update((tx) => void tx.create('node', {}));
    // Committed elsewhere; this store catches up through a snapshot instead.
    await proposer.commit();
    store.restore(image);
    await expect(p).rejects.toBeInstanceOf(StoreOutcomeUnknownError);
  });

  it('hands out frozen objects, so store state cannot be changed behind its back', async () => {
    const { store } = directStore();
    const s = await createService(store, 'web');
    const t = store.view((tx) => tx.list<ServiceLike>('service')[0]!);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.Spec)).toBe(true);
    expect(Object.isFrozen(t.Spec.Labels)).toBe(true);
    expect(() => {
      t.Spec.Name = 'hacked';
    }).toThrow(TypeError);
    // The input object is copied, not captured.
    const input = service('db');
    await store.update((tx) => void tx.create('service', input));
    input.Spec.Name = 'changed';
    expect(store.view((tx) => tx.getByName('service', 'db'))).toBeDefined();
    expect(s.Spec.Name).toBe('web');
  });

  it('indexes tasks by service, node and desired state', async () => {
    const { store } = directStore();
    const { created } = await store.update((tx) => {
      tx.create('task', task('s1', 'n1'));
      tx.create('task', task('s1', 'n2'));
      tx.create('task', task('s2', 'n1', 'shutdown'));
    });
    const moved = structuredClone(store.view((tx) => tx.get<TaskLike>('task', created[0]!))!);
    moved.NodeID = 'n2';
    moved.DesiredState = 'shutdown';
    await store.update((tx) => void tx.update('task', moved));
    store.view((tx) => {
      expect(
        tx
          .tasksByService('s1')
          .map((t) => t.ID)
          .sort(),
      ).toEqual([created[0], created[1]].sort());
      expect(tx.tasksByNode('n1').map((t) => t.ID)).toEqual([created[2]]);
      expect(tx.tasksByNode('n2')).toHaveLength(2);
      expect(tx.tasksByDesiredState('running').map((t) => t.ID)).toEqual([created[1]]);
      expect(tx.tasksByDesiredState('shutdown')).toHaveLength(2);
      expect(tx.find<TaskLike>('task', (t) => t.ServiceID === 's2')).toHaveLength(1);
    });
  });
});

function waitingSize(store: MemoryStore): number {
  return (store as unknown as { waiting: Map<string, unknown> }).waiting.size;
}
