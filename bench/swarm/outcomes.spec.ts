import { describe, expect, it } from 'vitest';
import {
  countOutcomes,
  longestPause,
  mergeTallies,
  normalizeMessage,
  type Outcome,
  tallyFailures,
} from './outcomes';

const ok = (sentAt: number, doneAt: number): Outcome => ({
  kind: 'success',
  sentAt,
  doneAt,
  target: 'm1',
});
const fail = (phase: 'read' | 'update', status: number, message: string, doneAt = 0): Outcome => ({
  kind: 'failure',
  phase,
  status,
  message,
  sentAt: doneAt,
  doneAt,
  target: 'm1',
});

describe('normalizeMessage', () => {
  it('masks node IDs, addresses, socket paths and durations', () => {
    expect(
      normalizeMessage(
        'this manager is not the Raft leader (the leader is 6hh6ybzf0fytaj9b53w8iuavm at 127.0.0.1:44645); retry',
      ),
    ).toBe('this manager is not the Raft leader (the leader is <id> at <addr>); retry');
    expect(normalizeMessage('connect ECONNREFUSED /tmp/shoal-swarm-bench-m0-x1/shoal.sock')).toBe(
      'connect ECONNREFUSED <socket>',
    );
    expect(normalizeMessage('proposal timed out after 10000 ms')).toBe(
      'proposal timed out after <n> ms',
    );
  });

  it('collapses whitespace and bounds the length', () => {
    expect(normalizeMessage('a \n  b')).toBe('a b');
    expect(normalizeMessage('x'.repeat(1000))).toHaveLength(240);
  });
});

describe('tallyFailures', () => {
  it('groups failures by phase, status and normalized message, most frequent first', () => {
    const t = tallyFailures([
      ok(0, 1),
      fail('update', 503, 'the leader is 6hh6ybzf0fytaj9b53w8iuavm at 127.0.0.1:1'),
      fail('update', 503, 'the leader is do39b84xaedpr7uzrin3hapax at 127.0.0.1:2'),
      fail('read', 503, 'the leader is do39b84xaedpr7uzrin3hapax at 127.0.0.1:2'),
      { kind: 'conflict', sentAt: 0, doneAt: 0, target: 'm1' },
      fail('update', 500, 'boom'),
    ]);
    expect(t).toEqual([
      { phase: 'update', status: 503, message: 'the leader is <id> at <addr>', count: 2 },
      { phase: 'update', status: 500, message: 'boom', count: 1 },
      { phase: 'read', status: 503, message: 'the leader is <id> at <addr>', count: 1 },
    ]);
  });

  it('merges tallies of several trials without changing the inputs', () => {
    const a = tallyFailures([fail('update', 503, 'x'), fail('update', 503, 'x')]);
    const b = tallyFailures([fail('update', 503, 'x'), fail('read', 0, 'y')]);
    expect(mergeTallies([a, b])).toEqual([
      { phase: 'update', status: 503, message: 'x', count: 3 },
      { phase: 'read', status: 0, message: 'y', count: 1 },
    ]);
    expect(a[0]!.count).toBe(2);
    expect(mergeTallies([])).toEqual([]);
  });
});

describe('countOutcomes', () => {
  it('counts successes, conflicts, and failures by phase', () => {
    expect(
      countOutcomes([
        ok(0, 1),
        ok(1, 2),
        { kind: 'conflict', sentAt: 0, doneAt: 0, target: 'm1' },
        fail('update', 503, 'x'),
        fail('read', 503, 'x'),
        fail('read', 0, 'x'),
      ]),
    ).toEqual({ successes: 2, conflicts: 1, failedUpdates: 1, failedReads: 2 });
  });
});

describe('longestPause', () => {
  it('is the longest gap between successes, counting the window edges', () => {
    const o = [ok(0, 110), ok(0, 130), ok(0, 400), ok(0, 420)];
    expect(longestPause(o, 100, 430)).toBe(270);
    expect(longestPause(o, 0, 430)).toBe(270);
    expect(longestPause(o, 100, 1000)).toBe(580);
  });

  it('ignores successes outside the window and failures; no success → the whole window', () => {
    expect(longestPause([ok(0, 50), fail('update', 503, 'x', 150)], 100, 300)).toBe(200);
    expect(longestPause([], 100, 300)).toBe(200);
  });
});
