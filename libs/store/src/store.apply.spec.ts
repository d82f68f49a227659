import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type core } from '@shoal/raft';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store';
import { type StoreEvent, type StoreProposal } from './store.contract';
import { DirectProposer, QueuedProposer } from './testing/direct.proposer';
import { directStore, service, T0, task, type TaskLike } from './testing/store.fixtures';

const bytes = (s: string) => new TextEncoder().encode(s);
const proposal = (p: StoreProposal) => bytes(JSON.stringify(p));
const entry = (index: number, data: Uint8Array): core.Entry => ({
  index,
  term: 1,
  type: 0 as core.EntryType.Normal,
  data,
});

describe('apply', () => {
  it('is deterministic: two stores fed the same entries end byte-identical', async () => {
    // Two managers with different clocks and ID sources apply one proposer's log.
    const proposer = new QueuedProposer();
    const a = new MemoryStore({
      proposer,
      clock: new ManualClock(T0),
      newId: objectIdGenerator(seededRandomBytes(7)),
    });
    const b = new MemoryStore({
      proposer: new DirectProposer(),
      clock: new ManualClock(0),
      newId: objectIdGenerator(seededRandomBytes(99)),
    });
    proposer.attach(a, b);
    const writes = [
      a.update((tx) => void tx.create('service', service('web'))),
      a.update((tx) => void tx.create('service', service('web'))), // fails at apply
      a.update((tx) => void tx.create('task', task('s', 'n'))),
    ];
    await proposer.commit([2, 0, 1]);
    await Promise.allSettled(writes);
    const t = structuredClone(a.view((tx) => tx.list<TaskLike>('task')[0]!));
    t.DesiredState = 'shutdown';
    const last = a.update((tx) => void tx.update('task', t));
    await proposer.commit();
    await last;
    expect(new TextDecoder().decode(b.snapshot())).toBe(new TextDecoder().decode(a.snapshot()));
    expect(b.lastIndex).toBe(4);
  });

  it('skips entries that are not proposals, counts them and never throws', async () => {
    const { store, proposer } = directStore();
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e));
    const garbage = [
      new Uint8Array([0xff, 0xfe, 0x00]), // not UTF-8
      bytes('{"requestId":'), // not JSON
      bytes('42'),
      bytes('{"requestId":"r","time":1,"actions":[{"op":"drop","kind":"node","id":"x"}]}'),
      bytes('{"requestId":"r","time":1,"actions":[{"op":"create","kind":"pod","object":{}}]}'),
      // Updates by fields may not touch the ID or the prototype, nor lack a version.
      bytes(
        '{"requestId":"r","time":1,"actions":[{"op":"update","kind":"node","id":"x","version":1,"set":{"ID":"y"}}]}',
      ),
      bytes(
        '{"requestId":"r","time":1,"actions":[{"op":"update","kind":"node","id":"x","version":1,"set":{"__proto__":{}}}]}',
      ),
      bytes(
        '{"requestId":"r","time":1,"actions":[{"op":"update","kind":"node","id":"x","version":1,"set":{},"unset":["ID"]}]}',
      ),
      bytes(
        '{"requestId":"r","time":1,"actions":[{"op":"update","kind":"node","id":"x","set":{}}]}',
      ),
      bytes(
        '{"requestId":"r","time":1,"actions":[{"op":"create","kind":"node","object":{"ID":"p","Version":{"Index":0},"__proto__":{}}}]}',
      ),
      bytes('{"requestId":"r","time":"now","actions":[]}'),
    ];
    for (const g of garbage) await proposer.propose(g);
    expect(store.skippedEntries).toBe(garbage.length);
    expect(store.lastIndex).toBe(garbage.length); // still applied, as far as Raft is concerned
    expect(events).toEqual([]);
    // The store still works.
    await store.update((tx) => void tx.create('node', {}));
    expect(store.view((tx) => tx.list('node'))).toHaveLength(1);
  });

  it('applies a proposal from another manager exactly as given, stamping index and time', () => {
    const { store } = directStore();
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    store.apply([
      entry(
        5,
        proposal({
          requestId: 'elsewhere',
          time,
          actions: [
            {
              op: 'create',
              kind: 'secret',
              object: { ID: 'x', Version: { Index: 0 }, CreatedAt: 'bogus', UpdatedAt: 'bogus' },
            },
          ],
        }),
      ),
    ]);
    expect(store.view((tx) => tx.get('secret', 'x'))).toEqual({
      ID: 'x',
      Version: { Index: 5 },
      CreatedAt: '2026-01-02T03:04:05.006000000Z',
      UpdatedAt: '2026-01-02T03:04:05.006000000Z',
    });
  });

  it('applies updates by fields, and whole-object updates from older logs', () => {
    const { store } = directStore();
    const write = (index: number, action: StoreProposal['actions'][number]) =>
      store.apply([entry(index, proposal({ requestId: `r${index}`, time: 0, actions: [action] }))]);
    write(1, {
      op: 'create',
      kind: 'task',
      object: { ID: 't', Version: { Index: 0 }, A: 1, B: { x: 1 }, C: 3 } as never,
    });
    const before = store.view((tx) => tx.get<TaskLike & { B: unknown }>('task', 't'))!;
    write(2, {
      op: 'update',
      kind: 'task',
      id: 't',
      version: 1,
      set: { A: 2, D: 4 },
      unset: ['C'],
    });
    const after = store.view((tx) => tx.get<TaskLike & { B: unknown }>('task', 't'))!;
    expect(after).toMatchObject({ A: 2, B: { x: 1 }, D: 4, Version: { Index: 2 } });
    expect(after).not.toHaveProperty('C');
    // Fields the update left alone are the stored values themselves, not copies.
    expect(after.B).toBe(before.B);
    // A stale version conflicts and changes nothing.
    write(3, { op: 'update', kind: 'task', id: 't', version: 1, set: { A: 9 } });
    expect(store.view((tx) => tx.get('task', 't'))).toEqual(after);
    write(4, {
      op: 'update',
      kind: 'task',
      object: { ID: 't', Version: { Index: 2 }, A: 5 } as never,
    });
    expect(store.view((tx) => tx.get('task', 't'))).toMatchObject({ A: 5, Version: { Index: 4 } });
    expect(store.view((tx) => tx.get('task', 't'))).not.toHaveProperty('B');
  });

  it('takes a stored object handed back as it is, and fields named like Object.prototype keys', async () => {
    const { store } = directStore();
    const { created } = await store.update((tx) => void tx.create('node', { Spec: { Name: 'a' } }));
    const stored = store.view((tx) => tx.get('node', created[0]!))!;
    await store.update((tx) => void tx.update('node', stored));
    await store.update((tx) => {
      const n = tx.get('node', created[0]!)!;
      tx.update('node', { ...n, constructor: 'c', toString: 't' } as never);
    });
    expect(store.view((tx) => tx.get('node', created[0]!))).toMatchObject({
      constructor: 'c',
      toString: 't',
      Version: { Index: 3 },
    });
    await store.update((tx) => {
      const {
        constructor: _c,
        toString: _t,
        ...rest
      } = tx.get('node', created[0]!)! as never as Record<string, unknown>;
      tx.update('node', rest as never);
    });
    const after = store.view((tx) => tx.get('node', created[0]!))!;
    expect(Object.hasOwn(after, 'constructor') || Object.hasOwn(after, 'toString')).toBe(false);
  });

  it('refuses a top-level "__proto__" field in a transaction', async () => {
    const { store } = directStore();
    const evil = JSON.parse('{"__proto__": {"x": 1}}') as object;
    await expect(store.update((tx) => void tx.create('node', evil))).rejects.toThrow('__proto__');
  });

  it('reports the first outcome when a proposal is committed twice', async () => {
    const proposer = new QueuedProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
    // A retry of the same proposal also got committed, right after the original.
    const retry = { apply: (es: core.Entry[]) => store.apply(es.map((e) => entry(2, e.data))) };
    proposer.attach(store, { ...retry, snapshot: () => new Uint8Array(), restore: () => {} });
    const p = store.update((tx) => void tx.create('node', { ID: 'n' }));
    await proposer.commit();
    expect(store.lastIndex).toBe(2);
    expect(await p).toEqual({ index: 1, created: ['n'] });
  });

  it('ignores entries at or below the last applied index', () => {
    const { store } = directStore();
    const create = (id: string) =>
      proposal({
        requestId: id,
        time: 0,
        actions: [
          { op: 'create', kind: 'node', object: { ID: id, Version: { Index: 0 } } as never },
        ],
      });
    store.apply([entry(3, create('a'))]);
    store.apply([entry(3, create('b')), entry(2, create('c'))]);
    expect(store.view((tx) => tx.list('node').map((n) => n.ID))).toEqual(['a']);
  });
});

describe('snapshot and restore', () => {
  it('round-trips views and indexes, and tells watchers to re-read', async () => {
    const { store } = directStore();
    const { created } = await store.update((tx) => {
      const s = tx.create('service', service('web', { tier: 'front' }));
      tx.create('task', task(s.ID, 'n1'));
      tx.create('task', task(s.ID, 'n2', 'shutdown'));
      tx.create('cluster', { ID: 'c', Spec: { Name: 'default' } });
    });
    const image = store.snapshot();

    const other = directStore(5).store;
    await other.update((tx) => void tx.create('service', service('stale')));
    const events: StoreEvent[] = [];
    other.watch((e) => events.push(e));
    other.restore(image);

    expect(events).toEqual([{ type: 'reset', index: 1 }]);
    expect(other.lastIndex).toBe(1);
    expect(other.snapshot()).toEqual(image);
    const read = (s: MemoryStore) =>
      s.view((tx) => ({
        services: tx.list('service'),
        web: tx.getByName('service', 'WEB'),
        stale: tx.getByName('service', 'stale'),
        cluster: tx.getByName('cluster', 'default'),
        byService: tx.tasksByService(created[0]!),
        byNode: tx.tasksByNode('n2'),
        running: tx.tasksByDesiredState('running'),
      }));
    expect(read(other)).toEqual(read(store));
    expect(read(other).stale).toBeUndefined();
    expect(Object.isFrozen(other.view((tx) => tx.list('service')[0]))).toBe(true);
    // History before the snapshot is gone.
    expect(() => other.watch(() => undefined, { since: 0 })).toThrow(/compacted/);
    expect(other.changesSince(1)).toEqual([]);
  });

  it('refuses a corrupt snapshot', () => {
    const { store } = directStore();
    expect(() => store.restore(bytes('{"index":"x"}'))).toThrow();
    expect(() => store.restore(bytes('{"index":1,"tables":{"node":[{"ID":3}]}}'))).toThrow();
  });
});
