import { randomBytes } from 'node:crypto';

/**
 * What the API benchmark sends: the same ServiceSpec body to both servers, replicas 0 so
 * neither schedules a task (Docker would otherwise try to run busybox:local), unique names,
 * and labels that let cleanup find exactly this run's services.
 */

export const BENCH_LABEL = 'shoal.bench';
export const RUN_LABEL = 'shoal.bench.run';
export const IMAGE = 'busybox:local';

/** Six hex digits: short enough to keep names far below Docker's 63-character limit. */
export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export function serviceName(runId: string, index: number): string {
  return `bench-${runId}-${index}`;
}

export function serviceSpec(runId: string, index: number): Record<string, unknown> {
  return {
    Name: serviceName(runId, index),
    Labels: { [BENCH_LABEL]: 'api', [RUN_LABEL]: runId },
    TaskTemplate: { ContainerSpec: { Image: IMAGE, Args: ['sleep', '1d'] } },
    Mode: { Replicated: { Replicas: 0 } },
  };
}

/** The `filters` query value selecting one run's services. */
export function runFilter(runId: string): string {
  return encodeURIComponent(JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] }));
}

/**
 * mulberry32: a tiny seeded PRNG, so both systems are asked to inspect the same sequence of
 * services (by creation index) and a run can be repeated exactly.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` indices in [0, range), drawn from `seededRandom(seed)`. */
export function randomIndices(count: number, range: number, seed: number): number[] {
  if (range < 1) throw new RangeError(`range must be ≥ 1, got ${range}`);
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, () => Math.floor(rnd() * range));
}

/**
 * The RSS checkpoints still ahead of `existing` services, ending at `target`: the planned
 * ones above `existing` and below `target`, then `target` itself.
 */
export function fillCheckpoints(planned: readonly number[], existing: number, target: number) {
  const ahead = [...new Set(planned)]
    .filter((n) => n > existing && n < target)
    .sort((a, b) => a - b);
  return target > existing ? [...ahead, target] : [];
}

/**
 * Whether filling on to `nextTarget` would overrun the budget, projecting from the rate seen
 * so far in this fill. With no rate yet, it goes on.
 */
export function fillWouldOverrun(p: {
  elapsedSec: number;
  createdSoFar: number;
  current: number;
  nextTarget: number;
  budgetSec: number;
}): boolean {
  if (p.createdSoFar <= 0 || p.elapsedSec <= 0) return false;
  const rate = p.createdSoFar / p.elapsedSec;
  return p.elapsedSec + (p.nextTarget - p.current) / rate > p.budgetSec;
}
