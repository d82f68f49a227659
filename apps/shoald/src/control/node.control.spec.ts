import { describe, expect, it } from 'vitest';
import {
  canRemoveMember,
  LAST_MANAGER_MESSAGE,
  managerRemovalMessage,
  NodeControl,
  nodeNotDownMessage,
  ORPHANED_TASK_MESSAGE,
  QUORUM_LOSS_MESSAGE,
} from './node.control';
import { type StoredNode, type StoredTask } from './stored.types';
import { addNode, addTask, filtersJson, rejects, startSwarm } from './testing/control.fixtures';

async function cluster() {
  const s = await startSwarm();
  await addNode(s.manager, {
    ID: 'w1aaaaaaaaaaaaaaaaaaaaaaa',
    Spec: { Labels: { zone: 'a', ssd: 'true' }, Role: 'worker', Availability: 'active' },
    Description: { Hostname: 'worker-1', Engine: { Labels: { kernel: '6' } } },
  });
  await addNode(s.manager, {
    ID: 'w2bbbbbbbbbbbbbbbbbbbbbbb',
    Spec: { Labels: { zone: 'b' }, Role: 'worker', Availability: 'drain' },
    Description: { Hostname: 'worker-2' },
    Status: { State: 'down', Addr: '10.0.0.8' },
  });
  return { ...s, control: new NodeControl(s.manager) };
}

describe('NodeControl.list', () => {
  it('lists every node sorted by ID, after a read barrier', async () => {
    const { control, manager, nodeId } = await cluster();
    const nodes = await control.list();
    expect(manager.readBarriers).toBe(1);
    expect(nodes.map((n) => n.ID)).toEqual(
      [nodeId, 'w1aaaaaaaaaaaaaaaaaaaaaaa', 'w2bbbbbbbbbbbbbbbbbbbbbbb'].sort(),
    );
  });

  it.each([
    [{ id: ['w1'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa']],
    [{ id: ['w1', 'w2'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa', 'w2bbbbbbbbbbbbbbbbbbbbbbb']],
    [{ name: ['worker-'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa', 'w2bbbbbbbbbbbbbbbbbbbbbbb']],
    [{ name: ['worker-2'] }, ['w2bbbbbbbbbbbbbbbbbbbbbbb']],
    [{ role: ['worker'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa', 'w2bbbbbbbbbbbbbbbbbbbbbbb']],
    [{ 'node.label': ['zone=a'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa']],
    [{ 'node.label': ['zone'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa', 'w2bbbbbbbbbbbbbbbbbbbbbbb']],
    [{ 'node.label': ['zone', 'ssd=true'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa']],
    [{ label: ['kernel=6'] }, ['w1aaaaaaaaaaaaaaaaaaaaaaa']],
    [{ membership: ['pending'] }, []],
    [{ role: ['worker'], 'node.label': ['zone=b'] }, ['w2bbbbbbbbbbbbbbbbbbbbbbb']],
  ])('filters %j', async (f, expected) => {
    const { control } = await cluster();
    expect((await control.list(filtersJson(f))).map((n) => n.ID)).toEqual(expected);
  });

  it('filters by role manager and accepted membership', async () => {
    const { control, nodeId } = await cluster();
    expect((await control.list(filtersJson({ role: ['MANAGER'] }))).map((n) => n.ID)).toEqual([
      nodeId,
    ]);
    expect(await control.list(filtersJson({ membership: ['accepted'] }))).toHaveLength(3);
  });

  it('refuses unknown filters and unknown role or membership values with 400', async () => {
    const { control } = await cluster();
    expect((await rejects(control.list(filtersJson({ colour: ['red'] })))).status).toBe(400);
    const role = await rejects(control.list(filtersJson({ role: ['boss'] })));
    expect(role.status).toBe(400);
    expect(role.message).toContain("Invalid role filter: 'boss'");
    const m = await rejects(control.list(filtersJson({ membership: ['maybe'] })));
    expect(m.message).toContain("Invalid membership filter: 'maybe'");
    expect((await rejects(control.list('{not json'))).status).toBe(400);
  });

  it('reports ManagerStatus from the live Raft membership', async () => {
    const { control, manager, nodeId } = await cluster();
    manager.membersOverride = [
      { id: nodeId, addr: '10.0.0.1:7377', reachable: true, leader: false },
      { id: 'w1aaaaaaaaaaaaaaaaaaaaaaa', addr: '10.0.0.9:7377', reachable: false, leader: true },
    ];
    const nodes = await control.list();
    const byId = new Map(nodes.map((n) => [n.ID, n]));
    expect(byId.get(nodeId)!.ManagerStatus).toEqual({
      Leader: false,
      Reachability: 'reachable',
      Addr: '10.0.0.1:7377',
    });
    expect(byId.get('w1aaaaaaaaaaaaaaaaaaaaaaa')!.ManagerStatus).toEqual({
      Leader: true,
      Reachability: 'unreachable',
      Addr: '10.0.0.9:7377',
    });
    expect(byId.get('w2bbbbbbbbbbbbbbbbbbbbbbb')!.ManagerStatus).toBeUndefined();
  });
});

describe('NodeControl.inspect', () => {
  it('resolves by ID, hostname and unique ID prefix', async () => {
    const { control, nodeId } = await cluster();
    expect((await control.inspect(nodeId)).ID).toBe(nodeId);
    expect((await control.inspect('manager-1')).ID).toBe(nodeId);
    expect((await control.inspect('WORKER-2')).ID).toBe('w2bbbbbbbbbbbbbbbbbbbbbbb');
    expect((await control.inspect('w1a')).ID).toBe('w1aaaaaaaaaaaaaaaaaaaaaaa');
    const err = await rejects(control.inspect('nope'));
    expect([err.status, err.message]).toEqual([404, 'node nope not found']);
    const amb = await rejects(control.inspect('w'));
    expect([amb.status, amb.message]).toEqual([400, 'node w is ambiguous (2 matches found)']);
  });
});

describe('NodeControl.update', () => {
  it('replaces the spec and bumps the version', async () => {
    const { control } = await cluster();
    const before = await control.inspect('worker-1');
    await control.update('worker-1', before.Version!.Index!, {
      Name: 'renamed',
      Labels: { zone: 'c' },
      Role: 'worker',
      Availability: 'pause',
    });
    const after = await control.inspect('w1aaaaaaaaaaaaaaaaaaaaaaa');
    expect(after.Spec).toEqual({
      Name: 'renamed',
      Labels: { zone: 'c' },
      Role: 'worker',
      Availability: 'pause',
    });
    expect(after.Version!.Index!).toBeGreaterThan(before.Version!.Index!);
    // The operator's name is a name too.
    expect((await control.inspect('renamed')).ID).toBe('w1aaaaaaaaaaaaaaaaaaaaaaa');
  });

  it('records a promotion (acting on it comes with multi-manager support)', async () => {
    const { control } = await cluster();
    const v = (await control.inspect('worker-1')).Version!.Index!;
    await control.update('worker-1', v, { Role: 'manager', Availability: 'active' });
    expect((await control.inspect('worker-1')).Spec?.Role).toBe('manager');
  });

  it('refuses a stale version with 409 and leaves the node unchanged', async () => {
    const { control } = await cluster();
    const before = await control.inspect('worker-1');
    await control.update('worker-1', before.Version!.Index!, {
      Role: 'worker',
      Availability: 'drain',
    });
    const current = await control.inspect('worker-1');
    const err = await rejects(
      control.update('worker-1', before.Version!.Index!, { Role: 'worker', Availability: 'pause' }),
    );
    expect([err.status, err.message]).toEqual([409, 'update out of sequence']);
    expect(await control.inspect('worker-1')).toEqual(current);
  });

  it("refuses demoting the last manager with Docker's text", async () => {
    const { control, nodeId } = await cluster();
    const v = (await control.inspect(nodeId)).Version!.Index!;
    const err = await rejects(
      control.update(nodeId, v, { Role: 'worker', Availability: 'active' }),
    );
    expect([err.status, err.message]).toEqual([400, LAST_MANAGER_MESSAGE]);
  });

  it('refuses a demotion that would lose the Raft quorum', async () => {
    const { control, manager, nodeId } = await cluster();
    // Promote worker-1 on paper, and make the membership 3 managers with one unreachable.
    const v1 = (await control.inspect('worker-1')).Version!.Index!;
    await control.update('worker-1', v1, { Role: 'manager', Availability: 'active' });
    manager.membersOverride = [
      { id: nodeId, addr: 'a:1', reachable: true, leader: true },
      { id: 'w1aaaaaaaaaaaaaaaaaaaaaaa', addr: 'b:1', reachable: true, leader: false },
      { id: 'x', addr: 'c:1', reachable: false, leader: false },
    ];
    const v = (await control.inspect('worker-1')).Version!.Index!;
    const err = await rejects(
      control.update('worker-1', v, { Role: 'worker', Availability: 'active' }),
    );
    expect([err.status, err.message]).toEqual([400, QUORUM_LOSS_MESSAGE]);
    // With every member reachable the demotion goes through.
    manager.membersOverride[2]!.reachable = true;
    await control.update('worker-1', v, { Role: 'worker', Availability: 'active' });
    expect((await control.inspect('worker-1')).Spec?.Role).toBe('worker');
  });

  it('refuses an invalid spec with 400 naming the field', async () => {
    const { control } = await cluster();
    const v = (await control.inspect('worker-1')).Version!.Index!;
    const err = await rejects(
      control.update('worker-1', v, { Role: 'boss', Availability: 'active' }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('Role');
  });

  it('answers 404 for an unknown node', async () => {
    const { control } = await cluster();
    const err = await rejects(
      control.update('ghost', 1, { Role: 'worker', Availability: 'active' }),
    );
    expect([err.status, err.message]).toEqual([404, 'node ghost not found']);
  });
});

describe('NodeControl.remove', () => {
  it('removes a down node and orphans its unfinished tasks in the same entry', async () => {
    const { control, manager, clock } = await cluster();
    await addTask(
      manager,
      { ID: 't-running', ServiceID: 's1', NodeID: 'w2bbbbbbbbbbbbbbbbbbbbbbb' },
      'running',
    );
    await addTask(
      manager,
      { ID: 't-done', ServiceID: 's1', NodeID: 'w2bbbbbbbbbbbbbbbbbbbbbbb' },
      'complete',
    );
    await addTask(
      manager,
      { ID: 't-other', ServiceID: 's1', NodeID: 'w1aaaaaaaaaaaaaaaaaaaaaaa' },
      'running',
    );
    clock.advance(5000);
    const entries = manager.proposer.log.length;
    await control.remove('worker-2', false);
    expect(manager.proposer.log.length).toBe(entries + 1);
    const tasks = manager.store.view(
      (tx) => new Map(tx.list<StoredTask>('task').map((t) => [t.ID, t])),
    );
    expect(tasks.get('t-running')!.Status).toEqual({
      State: 'orphaned',
      Message: ORPHANED_TASK_MESSAGE,
      Timestamp: '2026-03-01T12:00:05.250000000Z',
    });
    expect(tasks.get('t-done')!.Status?.State).toBe('complete');
    expect(tasks.get('t-other')!.Status?.State).toBe('running');
    expect(manager.store.view((tx) => tx.get('node', 'w2bbbbbbbbbbbbbbbbbbbbbbb'))).toBeUndefined();
  });

  it('refuses removing a ready node without force, and removes it with force', async () => {
    const { control, manager } = await cluster();
    const err = await rejects(control.remove('worker-1', false));
    expect([err.status, err.message]).toEqual([
      400,
      nodeNotDownMessage('w1aaaaaaaaaaaaaaaaaaaaaaa'),
    ]);
    expect(
      manager.store.view((tx) => tx.get<StoredNode>('node', 'w1aaaaaaaaaaaaaaaaaaaaaaa')),
    ).toBeDefined();
    await control.remove('worker-1', true);
    expect(manager.store.view((tx) => tx.get('node', 'w1aaaaaaaaaaaaaaaaaaaaaaa'))).toBeUndefined();
  });

  it('refuses removing a manager that is a Raft member, even with force', async () => {
    const { control, nodeId } = await cluster();
    for (const force of [false, true]) {
      const err = await rejects(control.remove(nodeId, force));
      expect([err.status, err.message]).toEqual([400, managerRemovalMessage(nodeId)]);
    }
  });

  it('answers 404 for an unknown node', async () => {
    const { control } = await cluster();
    expect((await rejects(control.remove('ghost', true))).status).toBe(404);
  });
});

describe('canRemoveMember', () => {
  const m = (id: string, reachable: boolean) => ({ id, addr: '', reachable, leader: false });
  it('keeps a majority of the smaller cluster reachable', () => {
    expect(canRemoveMember([m('a', true)], 'b')).toBe(true);
    expect(canRemoveMember([m('a', true), m('b', true)], 'b')).toBe(true);
    expect(canRemoveMember([m('a', true), m('b', true), m('c', false)], 'b')).toBe(false);
    expect(canRemoveMember([m('a', true), m('b', true), m('c', true)], 'b')).toBe(true);
    expect(canRemoveMember([m('a', true), m('b', true), m('c', false), m('d', true)], 'b')).toBe(
      true,
    );
  });
});
