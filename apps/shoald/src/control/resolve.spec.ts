import { ApiError, ConflictError, NotFoundError, UnavailableError } from '@shoal/api';
import { StoreError, StoreOutcomeUnknownError } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { resolveNode, resolveService, resolveTask, taskName } from './resolve';
import { mapStoreError } from './store-error.mapper';
import { type StoredService, type StoredTask } from './stored.types';
import { addNode, addTask, serviceBody, startSwarm } from './testing/control.fixtures';

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a throw');
}

async function withServices(...objects: { ID: string; Name: string }[]) {
  const s = await startSwarm();
  await s.manager.store.update((tx) => {
    for (const o of objects)
      tx.create<StoredService>('service', { ID: o.ID, Spec: serviceBody(o.Name) });
  });
  return s;
}

describe('reference resolution', () => {
  it('prefers an exact ID, then an exact name, then a unique ID prefix', async () => {
    // "abc" is the ID of one service, the name of another and a prefix of a third's ID.
    const s = await withServices(
      { ID: 'abc', Name: 'first' },
      { ID: 'xyz1', Name: 'abc' },
      { ID: 'abcdef', Name: 'third' },
      { ID: 'xyz2', Name: 'ab' },
    );
    const get = (ref: string) => s.manager.store.view((tx) => resolveService(tx, ref).ID);
    expect(get('abc')).toBe('abc');
    expect(get('ab')).toBe('xyz2'); // the name wins over the (ambiguous) prefix
    expect(get('abcd')).toBe('abcdef');
    expect(get('THIRD')).toBe('abcdef');
    const amb = thrown(() => s.manager.store.view((tx) => resolveService(tx, 'xyz')));
    expect([amb.status, amb.message]).toEqual([400, 'service xyz is ambiguous (2 matches found)']);
  });

  it("answers 404 with Docker's text, also for an empty reference", async () => {
    const s = await withServices({ ID: 'abc', Name: 'first' });
    for (const ref of ['nope', '']) {
      const err = thrown(() => s.manager.store.view((tx) => resolveService(tx, ref)));
      expect([err.status, err.message]).toEqual([404, `service ${ref} not found`]);
    }
  });

  it('resolves nodes by hostname even when hostnames repeat only if unique', async () => {
    const s = await startSwarm();
    await addNode(s.manager, { ID: 'n1', Description: { Hostname: 'twin' } });
    await addNode(s.manager, { ID: 'n2', Description: { Hostname: 'twin' } });
    const err = thrown(() => s.manager.store.view((tx) => resolveNode(tx, 'twin')));
    expect([err.status, err.message]).toEqual([400, 'node twin is ambiguous (2 matches found)']);
    expect(s.manager.store.view((tx) => resolveNode(tx, 'n2').ID)).toBe('n2');
  });

  it('names a task <service>.<slot>.<id>, or <service>.<node>.<id> for global tasks', async () => {
    const s = await withServices({ ID: 'svc', Name: 'web' });
    await addTask(s.manager, { ID: 't1', ServiceID: 'svc', Slot: 3 });
    await addTask(s.manager, { ID: 't2', ServiceID: 'svc', Slot: 0, NodeID: 'node9' });
    await addTask(s.manager, { ID: 't3', ServiceID: 'gone', Slot: 1 });
    const names = s.manager.store.view((tx) =>
      tx.list<StoredTask>('task').map((t) => taskName(tx, t)),
    );
    expect(names).toEqual(['web.3.t1', 'web.node9.t2', '.1.t3']);
    expect(s.manager.store.view((tx) => resolveTask(tx, 'web.node9.t2').ID)).toBe('t2');
  });
});

describe('mapStoreError', () => {
  const failure = (code: StoreError['code']) =>
    new StoreError({ code, kind: 'service', id: 'abc', message: 'store says no' });

  it("maps the store's precondition failures to Docker's statuses", () => {
    const conflict = mapStoreError(failure('VersionConflict'));
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ApiError).message).toBe('update out of sequence');
    expect(
      (mapStoreError(failure('NameConflict'), 'service web already exists') as ApiError).message,
    ).toBe('name conflicts with an existing object: service web already exists');
    expect((mapStoreError(failure('NameConflict')) as ApiError).message).toBe('store says no');
    const nf = mapStoreError(failure('NotFound'));
    expect(nf).toBeInstanceOf(NotFoundError);
    expect((nf as ApiError).message).toBe('service abc not found');
    expect((mapStoreError(failure('AlreadyExists')) as ApiError).status).toBe(409);
    expect(mapStoreError(new StoreOutcomeUnknownError(7))).toBeInstanceOf(UnavailableError);
  });

  it('passes other errors through', () => {
    const e = new Error('boom');
    expect(mapStoreError(e)).toBe(e);
    const api = new UnavailableError('no leader');
    expect(mapStoreError(api)).toBe(api);
  });
});
