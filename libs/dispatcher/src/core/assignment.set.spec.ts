import { type Task, type TaskState } from '@shoal/api/swarm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssignmentSet, isAssignedTo } from './assignment.set';

const NODE = 'n1';
const IDS = ['t1', 't2', 't3', 't4', 't5'];
const STATES: TaskState[] = ['pending', 'assigned', 'running', 'complete'];
const DESIRED: TaskState[] = ['running', 'shutdown', 'remove'];

/** One write: a task (re)written on some node in some state, or deleted. */
const write = fc.record({
  id: fc.constantFrom(...IDS),
  gone: fc.boolean(),
  node: fc.constantFrom(NODE, 'n2'),
  state: fc.constantFrom(...STATES),
  desired: fc.constantFrom(...DESIRED),
});

describe('AssignmentSet', () => {
  it('sends the same messages from the changed tasks as from the whole set', () => {
    fc.assert(
      fc.property(fc.array(fc.array(write, { maxLength: 4 }), { maxLength: 20 }), (commits) => {
        const tasks = new Map<string, Task>();
        const whole = new AssignmentSet();
        const partial = new AssignmentSet();
        const assigned = () =>
          [...tasks.values()]
            .filter((t) => isAssignedTo(t, NODE))
            .sort((a, b) => (a.ID! < b.ID! ? -1 : 1));
        expect(partial.complete(assigned())).toEqual(whole.complete(assigned()));
        for (const writes of commits) {
          for (const w of writes) {
            if (w.gone) tasks.delete(w.id);
            else
              tasks.set(w.id, {
                ID: w.id,
                NodeID: w.node,
                DesiredState: w.desired,
                Status: { State: w.state },
              });
          }
          const changed = new Map<string, Task | undefined>();
          for (const w of writes) {
            const t = tasks.get(w.id);
            changed.set(w.id, t && isAssignedTo(t, NODE) ? t : undefined);
          }
          expect(partial.changed(changed)).toEqual(whole.next(assigned()));
        }
      }),
    );
  });
});
