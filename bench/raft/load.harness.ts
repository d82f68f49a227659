import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { SampleBuffer, summarize, type Summary } from './stats';

/**
 * Closed-loop load: `concurrency` workers each keep exactly one operation in flight, so the
 * offered load adapts to the system's speed and throughput and latency are measured at the
 * same operating point (Little's law: concurrency ≈ ops/s × mean latency). That is the regime
 * "64 concurrent clients" describes, and it is how etcd's own benchmark tool drives load.
 */
export interface LoadOptions {
  concurrency: number;
  /** Length of the measured window, after the warm-up. */
  durationMs: number;
  /** Ops before this are run but not recorded: lets connections, JIT and leader settle. */
  warmupMs?: number;
  /** `seq` counts per worker from 0, so (workerId, seq) is unique within a run. */
  op: (workerId: number, seq: number) => Promise<void>;
  /** Called for every op, warm-up included; the failover benchmark builds its timeline here. */
  onResult?: (result: OpResult) => void;
  /**
   * Pause after a failed op. Without one, an op that fails instantly (connection refused)
   * turns the worker into a hot loop that starves the event loop and inflates error counts.
   */
  errorBackoffMs?: number;
  /** Stops issuing new ops early; in-flight ops still complete and are recorded. */
  signal?: AbortSignal;
  /** Keep every measured latency in the result (for histograms or merging trials). */
  keepSamples?: boolean;
}

export interface OpResult {
  workerId: number;
  seq: number;
  startNs: bigint;
  endNs: bigint;
  ok: boolean;
  error?: unknown;
  /** False for warm-up ops. */
  measured: boolean;
}

export interface LoadResult {
  /** Successful ops that completed inside the measured window. */
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Failed ops that started inside the measured window. Never thrown: a run reports them. */
  errors: number;
  /** Up to 20 distinct error descriptions with their counts, for the report. */
  errorKinds: Record<string, number>;
  /** Latency of every successful op that started in the window, drain included. */
  latency: Summary;
  /** Actual measured window; differs from durationMs if aborted. */
  windowMs: number;
  /** Time spent waiting for in-flight ops after the window closed. */
  drainMs: number;
  concurrency: number;
  /**
   * CPU this (load-generating) process used over the run, in % of one core. On a small
   * machine the client shares cores with the servers; near 100 % it is the bottleneck.
   */
  clientCpuPercent: number;
  samplesMs?: Float64Array;
}

const MAX_ERROR_KINDS = 20;
// A worker whose ops resolve without real I/O would otherwise never leave the microtask
// queue; yielding now and then keeps timers and sockets serviced.
const YIELD_EVERY = 1024;

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = code !== undefined ? `${err.name}[${String(code)}]` : err.name;
    return `${prefix}: ${err.message}`.slice(0, 200);
  }
  return String(err).slice(0, 200);
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const { concurrency, durationMs, op } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  if (!(durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${durationMs}`);
  const warmupNs = BigInt(Math.round((opts.warmupMs ?? 0) * 1e6));
  const errorBackoffMs = opts.errorBackoffMs ?? 10;

  const cpuStart = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  const windowStartNs = startNs + warmupNs;
  let windowEndNs = windowStartNs + BigInt(Math.round(durationMs * 1e6));
  const onAbort = () => {
    const now = process.hrtime.bigint();
    if (now < windowEndNs) windowEndNs = now > windowStartNs ? now : windowStartNs;
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const samples = new SampleBuffer();
  let completedInWindow = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let otherErrorKinds = 0;

  const recordError = (err: unknown) => {
    errors++;
    const kind = describeError(err);
    if (kind in errorKinds) errorKinds[kind]!++;
    else if (Object.keys(errorKinds).length < MAX_ERROR_KINDS) errorKinds[kind] = 1;
    else otherErrorKinds++;
  };

  const worker = async (workerId: number) => {
    for (let seq = 0; ; seq++) {
      const t0 = process.hrtime.bigint();
      if (t0 >= windowEndNs) return;
      const measured = t0 >= windowStartNs;
      let ok = true;
      let error: unknown;
      try {
        await op(workerId, seq);
      } catch (err) {
        ok = false;
        error = err;
      }
      const t1 = process.hrtime.bigint();
      if (measured) {
        if (ok) {
          samples.push(Number(t1 - t0) / 1e6);
          if (t1 <= windowEndNs) completedInWindow++;
        } else {
          recordError(error);
        }
      }
      opts.onResult?.({ workerId, seq, startNs: t0, endNs: t1, ok, error, measured });
      if (!ok) {
        if (errorBackoffMs > 0) await sleep(errorBackoffMs);
        else await yieldToEventLoop();
      } else if (seq % YIELD_EVERY === YIELD_EVERY - 1) {
        await yieldToEventLoop();
      }
    }
  };

  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const endNs = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuStart);
  opts.signal?.removeEventListener('abort', onAbort);

  if (otherErrorKinds > 0) errorKinds['(other kinds)'] = otherErrorKinds;
  const windowMs = Number(windowEndNs - windowStartNs) / 1e6;
  const latency = summarize(samples.values());
  const result: LoadResult = {
    ops: completedInWindow,
    opsPerSec: windowMs > 0 ? completedInWindow / (windowMs / 1000) : 0,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
    meanMs: latency.mean,
    errors,
    errorKinds,
    latency,
    windowMs,
    drainMs: endNs > windowEndNs ? Number(endNs - windowEndNs) / 1e6 : 0,
    concurrency,
    clientCpuPercent: ((cpu.user + cpu.system) / 1e3 / (Number(endNs - startNs) / 1e6)) * 100,
  };
  if (opts.keepSamples) result.samplesMs = Float64Array.from(samples.values());
  return result;
}

/** One human-readable line; states errors explicitly so a run with failures cannot pass as clean. */
export function formatLoadResult(label: string, r: LoadResult): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  const base =
    `${label}: ${Math.round(r.opsPerSec)} ops/s (${r.ops} ops in ${(r.windowMs / 1000).toFixed(1)} s, ` +
    `concurrency ${r.concurrency}); latency p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms, p99.9 ${f(r.latency.p999)} ms, ` +
    `max ${f(r.maxMs)} ms, mean ${f(r.meanMs)} ms; client CPU ${Math.round(r.clientCpuPercent)} %`;
  if (r.errors === 0) return `${base}; no errors`;
  const kinds = Object.entries(r.errorKinds)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `    ${n} × ${k}`)
    .join('\n');
  return `${base}\n  WITH ${r.errors} ERRORS:\n${kinds}`;
}
