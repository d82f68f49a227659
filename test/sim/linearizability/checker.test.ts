import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  type History,
  type KvInput,
  type KvOutput,
  kvModel,
  type Operation,
} from './index';

type KvOp = Operation<KvInput, KvOutput>;

const put = (client: number, call: number, ret: number, key: string, value: string): KvOp => ({
  clientId: client,
  call,
  return: ret,
  status: 'ok',
  input: { kind: 'put', key, value },
  output: { kind: 'put' },
});

const get = (
  client: number,
  call: number,
  ret: number,
  key: string,
  value: string | undefined,
): KvOp => ({
  clientId: client,
  call,
  return: ret,
  status: 'ok',
  input: { kind: 'get', key },
  output: { kind: 'get', value },
});

const cas = (
  client: number,
  call: number,
  ret: number,
  key: string,
  expected: string | undefined,
  value: string,
  ok: boolean,
): KvOp => ({
  clientId: client,
  call,
  return: ret,
  status: 'ok',
  input: { kind: 'cas', key, expected, value },
  output: { kind: 'cas', ok },
});

/** The same call with its response lost: it may or may not have taken effect. */
const timedOut = (op: KvOp): KvOp => ({
  clientId: op.clientId,
  call: op.call,
  input: op.input,
  status: 'unknown',
});

const check = (h: History<KvInput, KvOutput>) => checkHistory(kvModel, h);

describe('linearizability checker: legal histories', () => {
  it('accepts the empty history', () => {
    expect(check([]).outcome).toBe('ok');
  });

  it('accepts a sequential history', () => {
    const h = [
      get(1, 0, 1, 'x', undefined),
      put(1, 2, 3, 'x', 'a'),
      get(2, 4, 5, 'x', 'a'),
      cas(2, 6, 7, 'x', 'a', 'b', true),
      cas(1, 8, 9, 'x', 'a', 'c', false),
      get(1, 10, 11, 'x', 'b'),
      cas(3, 12, 13, 'y', undefined, 'q', true),
      get(3, 14, 15, 'y', 'q'),
    ];
    expect(check(h)).toMatchObject({ outcome: 'ok', partitions: 2 });
  });

  it('accepts overlapping operations that can be ordered by their linearization points', () => {
    // The put is slow; one read overlaps it and sees the old value, a later one the new.
    const h = [
      put(1, 0, 10, 'x', 'a'),
      get(2, 1, 2, 'x', undefined),
      get(3, 3, 12, 'x', 'a'),
      get(2, 4, 5, 'x', 'a'),
    ];
    expect(check(h).outcome).toBe('ok');
  });

  it('accepts concurrent writes observed in either order, as long as readers agree', () => {
    const h = [
      put(1, 0, 10, 'x', 'a'),
      put(2, 0, 10, 'x', 'b'),
      get(3, 1, 3, 'x', 'b'),
      get(3, 4, 6, 'x', 'a'),
      get(4, 11, 12, 'x', 'a'),
    ];
    expect(check(h).outcome).toBe('ok');
  });

  it('treats intervals that merely touch as concurrent', () => {
    // The get is invoked at the very instant the put returns; either order is admissible.
    const h = [put(1, 0, 5, 'x', 'a'), get(2, 5, 6, 'x', undefined)];
    expect(check(h).outcome).toBe('ok');
  });

  it('checks keys independently (P-compositionality)', () => {
    const h = [
      put(1, 0, 1, 'x', 'a'),
      put(1, 2, 3, 'y', 'b'),
      get(2, 4, 5, 'y', 'b'),
      get(2, 6, 7, 'x', 'a'),
    ];
    expect(check(h)).toMatchObject({ outcome: 'ok', partitions: 2 });
  });

  it('accepts one of two racing CAS from the same expected value succeeding', () => {
    const h = [
      put(1, 0, 1, 'x', 'a'),
      cas(2, 2, 10, 'x', 'a', 'b', true),
      cas(3, 3, 9, 'x', 'a', 'c', false),
      get(1, 11, 12, 'x', 'b'),
    ];
    expect(check(h).outcome).toBe('ok');
  });
});

describe('linearizability checker: illegal histories', () => {
  it('rejects a stale read after a completed write', () => {
    const h = [put(1, 0, 1, 'x', 'a'), put(1, 2, 3, 'x', 'b'), get(2, 4, 5, 'x', 'a')];
    const r = check(h);
    expect(r.outcome).toBe('illegal');
    expect(r.explanation).toContain('key "x"');
    expect(r.explanation).toContain('get(x) → "a"');
  });

  it('rejects two CAS that both succeed from the same expected value', () => {
    const h = [
      put(1, 0, 1, 'x', 'a'),
      cas(2, 2, 10, 'x', 'a', 'b', true),
      cas(3, 3, 9, 'x', 'a', 'c', true),
    ];
    const r = check(h);
    expect(r.outcome).toBe('illegal');
    expect(r.explanation).toMatch(/cas\(x, "a", "[bc]"\) → true/);
  });

  it('rejects a read of a value that was never written', () => {
    const h = [put(1, 0, 1, 'x', 'a'), get(2, 0, 5, 'x', 'zzz'), put(3, 0, 4, 'y', 'zzz')];
    const r = check(h);
    expect(r.outcome).toBe('illegal');
    expect(r.explanation).toContain('key "x"');
    expect(r.explanation).toContain('"zzz"');
  });

  it('rejects reads that go back in time', () => {
    // While a write of "b" is in flight, one reader sees "b" and a LATER read sees "a" again.
    const h = [
      put(1, 0, 1, 'x', 'a'),
      put(1, 2, 20, 'x', 'b'),
      get(2, 3, 4, 'x', 'b'),
      get(3, 5, 6, 'x', 'a'),
    ];
    expect(check(h).outcome).toBe('illegal');
  });

  it('rejects a failed CAS whose expected value was certainly current', () => {
    const h = [put(1, 0, 1, 'x', 'a'), cas(2, 2, 3, 'x', 'a', 'b', false)];
    expect(check(h).outcome).toBe('illegal');
  });

  it('reports the illegal key even when another key is fine', () => {
    const h = [
      put(1, 0, 1, 'a', '1'),
      get(1, 2, 3, 'a', '1'),
      put(1, 0, 1, 'b', '1'),
      get(2, 2, 3, 'b', '2'),
    ];
    const r = check(h);
    expect(r.outcome).toBe('illegal');
    expect(r.explanation).toContain('key "b"');
    expect(r.explanation).not.toContain('key "a"');
  });

  it('rejects a response timestamped before its call', () => {
    expect(() => check([put(1, 5, 4, 'x', 'a')])).toThrow(RangeError);
  });
});

describe('linearizability checker: pending operations', () => {
  const pendingPut = timedOut(put(1, 0, 0, 'x', 'a'));

  it('lets a timed-out write take effect', () => {
    expect(check([pendingPut, get(2, 5, 6, 'x', 'a')]).outcome).toBe('ok');
  });

  it('lets a timed-out write never take effect', () => {
    expect(check([pendingPut, get(2, 5, 6, 'x', undefined)]).outcome).toBe('ok');
  });

  it('lets a timed-out write take effect late', () => {
    const h = [pendingPut, get(2, 5, 6, 'x', undefined), get(2, 100, 101, 'x', 'a')];
    expect(check(h).outcome).toBe('ok');
  });

  it('does not let a timed-out write take effect before it was invoked', () => {
    const h = [get(2, 0, 1, 'x', 'a'), timedOut(put(1, 2, 2, 'x', 'a'))];
    expect(check(h).outcome).toBe('illegal');
  });

  it('does not let a timed-out write be undone once observed', () => {
    const h = [pendingPut, get(2, 2, 3, 'x', 'a'), get(2, 4, 5, 'x', undefined)];
    expect(check(h).outcome).toBe('illegal');
  });

  it('applies a timed-out CAS by its own semantics', () => {
    const h = [
      put(1, 0, 1, 'x', 'a'),
      timedOut(cas(2, 2, 2, 'x', 'a', 'b', true)),
      get(3, 5, 6, 'x', 'b'),
    ];
    expect(check(h).outcome).toBe('ok');
    // It can only swap from "a": after an overwrite with "c" it cannot produce "b".
    const late = [
      put(1, 0, 1, 'x', 'c'),
      timedOut(cas(2, 2, 2, 'x', 'a', 'b', true)),
      get(3, 5, 6, 'x', 'b'),
    ];
    expect(check(late).outcome).toBe('illegal');
  });

  it('ignores timed-out reads', () => {
    const h = [put(1, 0, 1, 'x', 'a'), timedOut(get(2, 2, 2, 'x', 'zzz'))];
    expect(check(h).outcome).toBe('ok');
  });
});

describe('linearizability checker: budget', () => {
  // Many concurrent writes and reads that pin a specific order: the search has work to do.
  const hard: KvOp[] = [];
  for (let i = 0; i < 12; i++) hard.push(put(i, 0, 100, 'x', `v${i}`));
  for (let i = 0; i < 12; i++) hard.push(get(100 + i, 101 + 2 * i, 102 + 2 * i, 'x', `v${i}`));

  it('answers unknown, never ok, when the step budget runs out', () => {
    expect(checkHistory(kvModel, hard, { maxSteps: 10 })).toMatchObject({ outcome: 'unknown' });
    expect(checkHistory(kvModel, hard, { maxSteps: 10 }).explanation).toContain('10 search steps');
    expect(checkHistory(kvModel, hard).outcome).toBe('illegal');
  });

  it('answers unknown when the time budget runs out', () => {
    let clock = 0;
    const now = () => (clock += 1);
    const r = checkHistory(kvModel, hard, { timeoutMs: 0, now });
    expect(r.outcome).toBe('unknown');
    expect(r.explanation).toContain('time budget');
  });
});

// --- property tests --------------------------------------------------------------------------

interface Plan {
  kind: 'put' | 'get' | 'cas';
  key: number;
  /** For CAS: pick the current value (likely success) or an older one (likely failure). */
  expectCurrent: boolean;
  client: number;
  before: number;
  after: number;
  /** The response is lost after the operation took effect. */
  lost: boolean;
}

const planArb = fc.record<Plan>({
  kind: fc.constantFrom('put', 'get', 'cas'),
  key: fc.nat(2),
  expectCurrent: fc.boolean(),
  client: fc.nat(4),
  before: fc.nat(35),
  after: fc.nat(35),
  // About one write in ten loses its response after taking effect.
  lost: fc.nat(9).map((n) => n === 0),
});

/**
 * Runs the planned ops against a real sequential map, op i taking effect at time 10·i + 5, and
 * surrounds each with an interval containing that instant — so the real execution order is a
 * witness and the history must be linearizable. `before`/`after` up to 35 makes up to ~8
 * operations overlap; small values give nearly sequential histories.
 */
function realHistory(plans: Plan[], ghosts: { key: number; at: number }[]): KvOp[] {
  const store = new Map<string, string>();
  const written: string[] = [];
  const h: KvOp[] = [];
  plans.forEach((p, i) => {
    const key = `k${p.key}`;
    const at = 10 * i + 5;
    const call = at - p.before;
    const ret = at + p.after;
    let op: KvOp;
    if (p.kind === 'put') {
      const value = `v${i}`;
      store.set(key, value);
      written.push(value);
      op = put(p.client, call, ret, key, value);
    } else if (p.kind === 'get') {
      op = get(p.client, call, ret, key, store.get(key));
    } else {
      const cur = store.get(key);
      const expected = p.expectCurrent ? cur : written[i % Math.max(1, written.length)];
      const value = `c${i}`;
      const ok = cur === expected;
      if (ok) store.set(key, value);
      written.push(value);
      op = cas(p.client, call, ret, key, expected, value, ok);
    }
    h.push(p.lost && p.kind !== 'get' ? timedOut(op) : op);
  });
  // Timed-out writes that never took effect at all.
  ghosts.forEach((g, j) => h.push(timedOut(put(9, g.at, g.at, `k${g.key}`, `ghost${j}`))));
  return h;
}

const historyArb = fc.record({
  plans: fc.array(planArb, { minLength: 1, maxLength: 40 }),
  ghosts: fc.array(fc.record({ key: fc.nat(2), at: fc.nat(400) }), { maxLength: 3 }),
});

describe('linearizability checker: properties', () => {
  it('accepts every history produced by a real sequential KV', () => {
    fc.assert(
      fc.property(historyArb, ({ plans, ghosts }) => {
        const r = check(realHistory(plans, ghosts));
        expect(r.outcome, r.explanation).toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a tight budget turn a verdict into a different one', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 200 }),
        (h, corrupt, steps) => {
          const ops = realHistory(h.plans, h.ghosts);
          const read = ops.findIndex((op) => op.status === 'ok' && op.input.kind === 'get');
          if (corrupt && read >= 0) {
            ops[read] = { ...ops[read], output: { kind: 'get', value: 'never-written' } } as KvOp;
          }
          const full = check(ops).outcome;
          const bounded = checkHistory(kvModel, ops, { maxSteps: steps }).outcome;
          expect(['unknown', full]).toContain(bounded);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects such a history once one read returns a value never written', () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), ({ plans, ghosts }, pick) => {
        const h = realHistory(plans, ghosts);
        const reads = h
          .map((op, i) => ({ op, i }))
          .filter(({ op }) => op.status === 'ok' && op.input.kind === 'get');
        fc.pre(reads.length > 0);
        const { op, i } = reads[pick % reads.length];
        h[i] = { ...op, output: { kind: 'get', value: 'never-written' } } as KvOp;
        const r = check(h);
        expect(r.outcome).toBe('illegal');
        expect(r.explanation).toContain(`key "${op.input.key}"`);
      }),
      { numRuns: 300 },
    );
  });
});
