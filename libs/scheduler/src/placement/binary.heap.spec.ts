import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryHeap } from './binary.heap';

describe('BinaryHeap', () => {
  it('pops in order whatever the pushes and pops in between', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 })),
        fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null))),
        (initial, ops) => {
          const heap = new BinaryHeap<number>((a, b) => a < b, initial);
          const model = [...initial];
          for (const op of ops) {
            if (op === null) {
              model.sort((a, b) => a - b);
              expect(heap.pop()).toBe(model.shift());
            } else {
              heap.push(op);
              model.push(op);
            }
            expect(heap.size).toBe(model.length);
          }
          const drained: number[] = [];
          for (let x = heap.pop(); x !== undefined; x = heap.pop()) drained.push(x);
          expect(drained).toEqual(model.sort((a, b) => a - b));
        },
      ),
    );
  });
});
