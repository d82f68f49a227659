/**
 * Where a latency tail comes from: spread thinly over the run (queueing, slow paths), or in
 * bursts where many requests are slow together (a process-wide stall: a GC pause, a blocked
 * event loop, a snapshot). Bursts show up as short windows holding many of the slow requests.
 */
export interface CompletedOp {
  /** When the op completed, ms from any fixed origin. */
  endMs: number;
  latencyMs: number;
}

export interface StallWindow {
  startMs: number;
  /** Ops that completed in the window over the threshold. */
  slow: number;
  /** Ops that completed in the window. */
  ops: number;
  maxLatencyMs: number;
}

export interface TailShape {
  thresholdMs: number;
  /** All ops over the threshold. */
  slow: number;
  /** Windows holding at least `minSlow` slow ops, worst first. */
  stalls: StallWindow[];
  /** Share of the slow ops that fall in those windows, 0..1. */
  slowInStalls: number;
}

/**
 * Buckets ops by completion time into `windowMs` windows and reports the windows with at least
 * `minSlow` ops slower than `thresholdMs`. With closed-loop clients, a stall of the server
 * makes every client's request slow at once, so `minSlow` is usually half the concurrency.
 */
export function tailShape(
  ops: readonly CompletedOp[],
  thresholdMs: number,
  windowMs: number,
  minSlow: number,
): TailShape {
  if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
  const windows = new Map<number, StallWindow>();
  let slow = 0;
  for (const op of ops) {
    const key = Math.floor(op.endMs / windowMs);
    let w = windows.get(key);
    if (!w) windows.set(key, (w = { startMs: key * windowMs, slow: 0, ops: 0, maxLatencyMs: 0 }));
    w.ops++;
    w.maxLatencyMs = Math.max(w.maxLatencyMs, op.latencyMs);
    if (op.latencyMs > thresholdMs) {
      w.slow++;
      slow++;
    }
  }
  const stalls = [...windows.values()]
    .filter((w) => w.slow >= minSlow)
    .sort((a, b) => b.slow - a.slow || a.startMs - b.startMs);
  const inStalls = stalls.reduce((n, w) => n + w.slow, 0);
  return { thresholdMs, slow, stalls, slowInStalls: slow > 0 ? inStalls / slow : 0 };
}
