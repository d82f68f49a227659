import { noSuitableNode } from '@shoal/scheduler';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REASON_LENGTH, unschedulableReason } from './unschedulable.reason';

/** The scheduler's own filters' texts (libs/scheduler/src/pipeline/*.filter.ts). */
const CLAUSES: ((n: number) => string)[] = [
  (n) => `${n} ${n === 1 ? 'node' : 'nodes'} not ready`,
  (n) => `${n} ${n === 1 ? 'node' : 'nodes'} not available for new tasks`,
  (n) => `insufficient resources on ${n} ${n === 1 ? 'node' : 'nodes'}`,
  (n) => `scheduling constraints not satisfied on ${n} ${n === 1 ? 'node' : 'nodes'}`,
  (n) => `host-mode port already in use on ${n} ${n === 1 ? 'node' : 'nodes'}`,
  () => 'max replicas per node limit exceed',
];

describe('unschedulableReason', () => {
  it('drops the node counts and sorts the clauses', () => {
    expect(
      unschedulableReason('no suitable node (insufficient resources on 2 nodes; 1 node not ready)'),
    ).toBe('no suitable node (insufficient resources; node not ready)');
    expect(unschedulableReason('no suitable node')).toBe('no suitable node');
  });

  it("gives a preassigned task's bare explanation the same form", () => {
    expect(unschedulableReason('insufficient resources on 1 node')).toBe(
      'no suitable node (insufficient resources)',
    );
  });

  it('bounds texts it does not know: digits become N, length is capped', () => {
    expect(unschedulableReason('port 8080 taken by task 42')).toBe(
      'no suitable node (port N taken by task N)',
    );
    expect(unschedulableReason('x'.repeat(1000)).length).toBe(MAX_REASON_LENGTH);
  });

  it('depends only on which filters refused, not on how many nodes or in what order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: CLAUSES.length - 1 }), { minLength: 1 }),
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 6, maxLength: 6 }),
        (which, counts1, counts2) => {
          const text = (counts: number[], order: number[]) =>
            noSuitableNode(order.map((i) => CLAUSES[i]!(counts[i]!)).join('; '));
          const a = unschedulableReason(text(counts1, which));
          const b = unschedulableReason(text(counts2, [...which].reverse()));
          expect(a).toBe(b);
          expect(a).not.toMatch(/\d/);
        },
      ),
    );
  });

  it('yields at most one label per set of filters', () => {
    const labels = new Set<string>();
    for (let set = 1; set < 1 << CLAUSES.length; set++) {
      for (const n of [1, 2, 17]) {
        const clauses = CLAUSES.filter((_, i) => set & (1 << i)).map((c) => c(n));
        labels.add(unschedulableReason(noSuitableNode(clauses.join('; '))));
      }
    }
    expect(labels.size).toBe((1 << CLAUSES.length) - 1);
  });
});
