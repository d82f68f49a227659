import { TASK_STATE_ORDER, TASK_STATES, type TaskState } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskStateRegressionError, advance, isTerminal } from './task-state.machine';

const state = fc.constantFrom(...TASK_STATES);
const TERMINAL: TaskState[] = ['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'];

describe('task state machine', () => {
  it('moves forward to any higher state, stays on an equal one, throws on a lower one', () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        const d = TASK_STATE_ORDER[to] - TASK_STATE_ORDER[from];
        if (d > 0) expect(advance(from, to)).toBe(to);
        else if (d === 0) expect(advance(from, to)).toBe(from);
        else expect(() => advance(from, to)).toThrow(TaskStateRegressionError);
      }),
    );
  });

  it('checks every ordered pair exhaustively', () => {
    let forward = 0;
    let backward = 0;
    TASK_STATES.forEach((from, i) =>
      TASK_STATES.forEach((to, j) => {
        if (j > i) {
          expect(advance(from, to)).toBe(to);
          forward++;
        } else if (j < i) {
          expect(() => advance(from, to)).toThrow(TaskStateRegressionError);
          backward++;
        } else expect(advance(from, to)).toBe(from);
      }),
    );
    const n = TASK_STATES.length;
    expect(forward).toBe((n * (n - 1)) / 2);
    expect(backward).toBe(forward);
  });

  it('names both states in the regression error', () => {
    const err = (() => {
      try {
        advance('running', 'preparing');
      } catch (e) {
        return e as TaskStateRegressionError;
      }
      throw new Error('expected a throw');
    })();
    expect(err).toBeInstanceOf(TaskStateRegressionError);
    expect(err.from).toBe('running');
    expect(err.to).toBe('preparing');
    expect(err.message).toContain('running (512) -> preparing (320)');
  });

  it('knows the terminal states, which only move to higher terminal states', () => {
    expect(TASK_STATES.filter(isTerminal).sort()).toEqual([...TERMINAL].sort());
    expect(advance('complete', 'shutdown')).toBe('shutdown');
    expect(advance('failed', 'orphaned')).toBe('orphaned');
    for (const t of TERMINAL) {
      expect(() => advance(t, 'running')).toThrow(TaskStateRegressionError);
      expect(() => advance(t, 'new')).toThrow(TaskStateRegressionError);
    }
    fc.assert(
      fc.property(state, state, (from, to) => {
        if (!isTerminal(from)) return;
        if (TASK_STATE_ORDER[to] > TASK_STATE_ORDER[from])
          expect(isTerminal(advance(from, to))).toBe(true);
      }),
    );
  });

  it('rejects an unknown state', () => {
    expect(() => advance('running', 'bogus' as TaskState)).toThrow(TypeError);
    expect(() => isTerminal('bogus' as TaskState)).toThrow(TypeError);
  });
});
