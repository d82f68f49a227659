import { describe, expect, it } from 'vitest';
import { type CompletedOp, tailShape } from './tail-analysis';

describe('tailShape', () => {
  it('finds the window where many ops were slow together', () => {
    const ops: CompletedOp[] = [];
    // A steady 10 ms background, one slow op every 100 ms...
    for (let t = 0; t < 2_000; t += 5) ops.push({ endMs: t, latencyMs: t % 100 === 0 ? 60 : 10 });
    // ...and a stall at 1.2 s that made eight ops slow at once.
    for (let i = 0; i < 8; i++) ops.push({ endMs: 1_210 + i, latencyMs: 45 + i });
    const shape = tailShape(ops, 40, 250, 8);
    expect(shape.slow).toBe(20 + 8);
    expect(shape.stalls).toEqual([{ startMs: 1_000, slow: 3 + 8, ops: 50 + 8, maxLatencyMs: 60 }]);
    expect(shape.slowInStalls).toBeCloseTo(11 / 28);
  });

  it('reports no stall when the slow ops are spread out', () => {
    const ops = Array.from({ length: 100 }, (_, i) => ({ endMs: i * 100, latencyMs: 50 }));
    const shape = tailShape(ops, 40, 250, 4);
    expect(shape.slow).toBe(100);
    expect(shape.stalls).toEqual([]);
    expect(shape.slowInStalls).toBe(0);
  });

  it('refuses a window that is not positive, and copes with no ops', () => {
    expect(() => tailShape([], 1, 0, 1)).toThrow(/windowMs/);
    expect(tailShape([], 1, 250, 1)).toEqual({
      thresholdMs: 1,
      slow: 0,
      stalls: [],
      slowInStalls: 0,
    });
  });
});
