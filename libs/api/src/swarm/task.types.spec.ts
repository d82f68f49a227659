import { describe, expect, it } from 'vitest';
import { TASK_STATE_ORDER, TASK_STATES, type TaskState } from './task.types';

describe('TASK_STATE_ORDER', () => {
  it("uses swarmkit's numbers", () => {
    expect(TASK_STATE_ORDER).toEqual({
      new: 0,
      pending: 64,
      allocated: 128,
      assigned: 192,
      accepted: 256,
      preparing: 320,
      ready: 384,
      starting: 448,
      running: 512,
      complete: 576,
      shutdown: 640,
      failed: 704,
      rejected: 768,
      remove: 800,
      orphaned: 832,
    });
  });

  it('lists the states in the order a task moves through them', () => {
    expect(TASK_STATES).toEqual([
      'new',
      'pending',
      'allocated',
      'assigned',
      'accepted',
      'preparing',
      'ready',
      'starting',
      'running',
      'complete',
      'shutdown',
      'failed',
      'rejected',
      'remove',
      'orphaned',
    ] satisfies TaskState[]);
    expect(Object.isFrozen(TASK_STATE_ORDER)).toBe(true);
  });
});
