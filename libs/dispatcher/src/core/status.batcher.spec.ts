import { type TaskStatus } from '@shoal/api/swarm';
import { describe, expect, it } from 'vitest';
import { StatusBatcher } from './status.batcher';

const status = (State: TaskStatus['State'], Message = ''): TaskStatus => ({ State, Message });

describe('StatusBatcher', () => {
  it('keeps the highest state of a task, and is due at once when full', () => {
    const b = new StatusBatcher({ maxBatch: 2, maxDelayMs: 25 });
    b.add('t1', { nodeId: 'n', status: status('running') }, 100);
    b.add('t1', { nodeId: 'n', status: status('starting') }, 101);
    expect(b.dueAt()).toBe(125);
    b.add('t2', { nodeId: 'n', status: status('running') }, 102);
    expect(b.dueAt()).toBe(100);
    expect([...b.take()].map(([id, s]) => [id, s.status.State])).toEqual([
      ['t1', 'running'],
      ['t2', 'running'],
    ]);
    expect(b.dueAt()).toBeUndefined();
  });

  it('bounds a write by bytes as well as by tasks, taking at least one report', () => {
    const b = new StatusBatcher({ maxBatch: 1_000, maxDelayMs: 25, maxBytes: 2_000 });
    const long = 'x'.repeat(900);
    for (const id of ['a', 'b', 'c']) b.add(id, { nodeId: 'n', status: status('failed', long) }, 0);
    // Three reports of ~1 KiB each are over the bound: the batch is due now.
    expect(b.dueAt()).toBe(0);
    expect([...b.take().keys()]).toEqual(['a']);
    expect([...b.take().keys()]).toEqual(['b']);
    expect(b.dueAt()).toBe(25);
    expect([...b.take().keys()]).toEqual(['c']);
    expect(b.size).toBe(0);
    // A single report over the bound still goes out, alone.
    b.add('huge', { nodeId: 'n', status: status('failed', 'y'.repeat(5_000)) }, 0);
    expect([...b.take().keys()]).toEqual(['huge']);
  });
});
