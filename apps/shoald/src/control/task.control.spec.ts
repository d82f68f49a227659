import { describe, expect, it } from 'vitest';
import { ServiceControl } from './service.control';
import { deepEqual, TaskControl } from './task.control';
import { type StoredService } from './stored.types';
import {
  addNode,
  addTask,
  // Short, because nearly every list call below wraps its filters in it.
  filtersJson as f,
  rejects,
  serviceBody,
  startSwarm,
} from './testing/control.fixtures';

/**
 * Tasks come from the orchestrator in later issues; here they are written into the store
 * directly, in the shapes the orchestrator will write.
 */
async function setup() {
  const s = await startSwarm();
  const services = new ServiceControl(s.manager);
  const web = (await services.create(serviceBody('web', { Labels: { tier: 'front' } }))).ID;
  const db = (await services.create(serviceBody('db', { Mode: { Global: {} } }))).ID;
  await addNode(s.manager, {
    ID: 'node2aaaaaaaaaaaaaaaaaaaa',
    Description: { Hostname: 'worker-2' },
  });
  await addTask(s.manager, { ID: 'ta1', ServiceID: web, NodeID: s.nodeId, Slot: 1 }, 'running');
  await addTask(
    s.manager,
    { ID: 'ta2', ServiceID: web, NodeID: 'node2aaaaaaaaaaaaaaaaaaaa', Slot: 2 },
    'running',
  );
  await addTask(
    s.manager,
    { ID: 'ta3', ServiceID: web, NodeID: s.nodeId, Slot: 1, DesiredState: 'shutdown' },
    'shutdown',
  );
  await addTask(
    s.manager,
    {
      ID: 'tb1',
      ServiceID: db,
      NodeID: 'node2aaaaaaaaaaaaaaaaaaaa',
      Slot: 0,
      Name: 'db.custom-name',
    },
    'preparing',
  );
  return { ...s, services, web, db, control: new TaskControl(s.manager) };
}

const ids = (tasks: { ID?: string }[]) => tasks.map((t) => t.ID);

describe('TaskControl.list', () => {
  it('lists every task sorted by ID, after a read barrier', async () => {
    const s = await setup();
    const barriers = s.manager.readBarriers;
    expect(ids(await s.control.list())).toEqual(['ta1', 'ta2', 'ta3', 'tb1']);
    expect(s.manager.readBarriers).toBe(barriers + 1);
  });

  it('filters by service, resolving names and ID prefixes like a reference', async () => {
    const s = await setup();
    expect(ids(await s.control.list(f({ service: ['web'] })))).toEqual(['ta1', 'ta2', 'ta3']);
    expect(ids(await s.control.list(f({ service: [s.db] })))).toEqual(['tb1']);
    expect(ids(await s.control.list(f({ service: [s.db.slice(0, 8), 'web'] })))).toEqual([
      'ta1',
      'ta2',
      'ta3',
      'tb1',
    ]);
    const err = await rejects(s.control.list(f({ service: ['nope'] })));
    expect([err.status, err.message]).toEqual([404, 'service nope not found']);
  });

  it('filters by node, resolving hostnames', async () => {
    const s = await setup();
    expect(ids(await s.control.list(f({ node: ['worker-2'] })))).toEqual(['ta2', 'tb1']);
    expect(ids(await s.control.list(f({ node: [s.nodeId] })))).toEqual(['ta1', 'ta3']);
    const err = await rejects(s.control.list(f({ node: ['ghost'] })));
    expect([err.status, err.message]).toEqual([404, 'node ghost not found']);
  });

  it('filters by desired state, refusing unknown states', async () => {
    const s = await setup();
    expect(ids(await s.control.list(f({ 'desired-state': ['running'] })))).toEqual([
      'ta1',
      'ta2',
      'tb1',
    ]);
    expect(ids(await s.control.list(f({ 'desired-state': ['shutdown', 'accepted'] })))).toEqual([
      'ta3',
    ]);
    const err = await rejects(s.control.list(f({ 'desired-state': ['sleeping'] })));
    expect(err.status).toBe(400);
    expect(err.message).toContain("Invalid desired-state filter: 'sleeping'");
  });

  it('filters by ID prefix and by name prefix (the task name, or service.slot.id)', async () => {
    const s = await setup();
    expect(ids(await s.control.list(f({ id: ['ta'] })))).toEqual(['ta1', 'ta2', 'ta3']);
    expect(ids(await s.control.list(f({ name: ['web.1.'] })))).toEqual(['ta1', 'ta3']);
    expect(ids(await s.control.list(f({ name: ['web.2'] })))).toEqual(['ta2']);
    expect(ids(await s.control.list(f({ name: ['db.custom'] })))).toEqual(['tb1']);
  });

  it("filters by the owning service's labels", async () => {
    const s = await setup();
    expect(ids(await s.control.list(f({ label: ['tier=front'] })))).toEqual(['ta1', 'ta2', 'ta3']);
    expect(ids(await s.control.list(f({ label: ['tier=back'] })))).toEqual([]);
  });

  it('combines filters', async () => {
    const s = await setup();
    const got = await s.control.list(
      f({ service: ['web'], node: ['worker-2'], 'desired-state': ['running'] }),
    );
    expect(ids(got)).toEqual(['ta2']);
  });

  it("with _up-to-date, keeps tasks that run their service's current template", async () => {
    const s = await setup();
    const svc = s.manager.store.view((tx) => tx.get<StoredService>('service', s.web)!);
    await s.services.update(
      s.web,
      svc.Version.Index,
      serviceBody('web', { TaskTemplate: { ContainerSpec: { Image: 'nginx:2' } } }),
    );
    await addTask(s.manager, { ID: 'ta4', ServiceID: s.web, Slot: 1 }, 'starting');
    // The docker CLI sends `_up-to-date=true` while it follows a rollout.
    const got = await s.control.list(f({ service: ['web'], '_up-to-date': ['true'] }));
    expect(ids(got)).toEqual(['ta4']);
  });

  it('with _up-to-date, a task carrying pull credentials (--with-registry-auth) still counts', async () => {
    const s = await setup();
    const svc = s.manager.store.view((tx) => tx.get<StoredService>('service', s.web)!);
    const template = structuredClone(svc.Spec.TaskTemplate ?? {});
    const spec = {
      ...template,
      ContainerSpec: { ...template.ContainerSpec, PullOptions: { RegistryAuth: 'secret' } },
    };
    await addTask(s.manager, { ID: 'ta9', ServiceID: s.web, Slot: 9, Spec: spec });
    const got = await s.control.list(f({ service: ['web'], '_up-to-date': ['true'] }));
    expect(ids(got)).toContain('ta9');
    expect(JSON.stringify(got)).not.toContain('secret');
  });

  it('refuses unknown filters with 400', async () => {
    const s = await setup();
    expect((await rejects(s.control.list(f({ slot: ['1'] })))).status).toBe(400);
  });

  it('returns copies the caller may change', async () => {
    const s = await setup();
    const [first] = await s.control.list();
    first!.DesiredState = 'remove';
    expect((await s.control.inspect('ta1')).DesiredState).toBe('running');
  });
});

describe('TaskControl.inspect', () => {
  it('resolves by ID, name and unique ID prefix', async () => {
    const s = await setup();
    expect((await s.control.inspect('ta2')).Slot).toBe(2);
    expect((await s.control.inspect('db.custom-name')).ID).toBe('tb1');
    expect((await s.control.inspect('web.2.ta2')).ID).toBe('ta2');
    expect((await s.control.inspect('tb')).ID).toBe('tb1');
    const amb = await rejects(s.control.inspect('ta'));
    expect([amb.status, amb.message]).toEqual([400, 'task ta is ambiguous (3 matches found)']);
    const none = await rejects(s.control.inspect('zz'));
    expect([none.status, none.message]).toEqual([404, 'task zz not found']);
  });
});

describe('deepEqual', () => {
  it('ignores key order and undefined members', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, x: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({}, [])).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});
