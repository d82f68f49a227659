import { describe, expect, it } from 'vitest';
import { FailureTracker } from './failure.tracker';

const MIN = 60_000;

describe('FailureTracker', () => {
  it('penalizes a node from the fifth failure of a version within five minutes', () => {
    const f = new FailureTracker();
    for (let i = 0; i < 4; i++) f.record('web@v1', 'a', i * MIN);
    expect(f.penalties('web@v1', 4 * MIN)).toEqual(new Map());
    f.record('web@v1', 'a', 4 * MIN);
    f.record('web@v1', 'b', 4 * MIN);
    expect(f.penalties('web@v1', 4 * MIN)).toEqual(new Map([['a', 5]]));
    expect(f.penalties('web@v2', 4 * MIN)).toEqual(new Map());
    // The first failure leaves the window: four remain.
    expect(f.penalties('web@v1', 5 * MIN)).toEqual(new Map());
  });

  it('prunes what the window has passed', () => {
    const f = new FailureTracker();
    for (let i = 0; i < 5; i++) f.record('web@v1', 'a', i);
    f.prune(5 * MIN + 4);
    for (let i = 0; i < 4; i++) f.record('web@v1', 'a', 6 * MIN + i);
    expect(f.penalties('web@v1', 6 * MIN + 4)).toEqual(new Map());
  });
});
