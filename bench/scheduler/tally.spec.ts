import { type StoreEvent, type StoredObject } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { NewTaskWatch, PlacementTally } from './tally';

let index = 0;
const task = (id: string, state: string, serviceId = 's1') =>
  ({ ID: id, ServiceID: serviceId, Status: { State: state } }) as unknown as StoredObject;
const created = (id: string, serviceId = 's1'): StoreEvent => ({
  type: 'change',
  kind: 'task',
  action: 'create',
  object: task(id, 'pending', serviceId),
  index,
  time: 0,
});
const moved = (id: string, from: string, to: string): StoreEvent => ({
  type: 'change',
  kind: 'task',
  action: 'update',
  object: task(id, to),
  previous: task(id, from),
  index,
  time: 0,
});
const commit = (): StoreEvent => ({ type: 'commit', index: ++index });

function clock() {
  let t = 0;
  return { now: () => t, set: (v: number) => (t = v) };
}

describe('PlacementTally', () => {
  it('stamps each milestone at the commit that completes it', () => {
    const c = clock();
    const tally = new PlacementTally(2, c.now);
    c.set(10);
    [created('a'), created('b'), commit()].forEach((e) => tally.onEvent(e));
    c.set(20);
    [moved('a', 'pending', 'assigned'), commit()].forEach((e) => tally.onEvent(e));
    c.set(30);
    [moved('b', 'pending', 'assigned'), moved('a', 'assigned', 'running'), commit()].forEach((e) =>
      tally.onEvent(e),
    );
    expect(tally.done).toBe(false);
    c.set(40);
    // A status report may skip states: preparing straight to running counts once.
    [moved('b', 'preparing', 'running'), commit()].forEach((e) => tally.onEvent(e));
    expect(tally.at).toEqual({
      firstTaskCreated: 10,
      allTasksCreated: 10,
      firstAssigned: 20,
      allAssigned: 30,
      firstRunning: 30,
      allRunning: 40,
    });
    expect([tally.assignCommits, tally.runningCommits]).toEqual([2, 2]);
    expect(tally.done).toBe(true);
  });

  it('counts a task once, however many updates it gets within a state', () => {
    const tally = new PlacementTally(1, () => 0);
    [
      created('a'),
      moved('a', 'pending', 'pending'),
      moved('a', 'pending', 'assigned'),
      moved('a', 'assigned', 'accepted'),
      commit(),
    ].forEach((e) => tally.onEvent(e));
    expect([tally.created, tally.assigned, tally.running]).toEqual([1, 1, 0]);
  });
});

describe('NewTaskWatch', () => {
  it('follows the first task created for its service, and no other', () => {
    const c = clock();
    const w = new NewTaskWatch('s2', c.now);
    c.set(5);
    [created('x', 's1'), created('y', 's2'), commit()].forEach((e) => w.onEvent(e));
    expect(w.taskId).toBe('y');
    c.set(7);
    [moved('x', 'pending', 'running'), moved('y', 'pending', 'assigned'), commit()].forEach((e) =>
      w.onEvent(e),
    );
    c.set(9);
    [moved('y', 'assigned', 'running'), commit()].forEach((e) => w.onEvent(e));
    expect([w.assignedAt, w.runningAt, w.done]).toEqual([7, 9, true]);
  });
});
