import { describeError } from '../raft/load.harness';
import { SampleBuffer, summarize, type Summary } from '../raft/stats';

/**
 * A fixed number of operations from `concurrency` closed-loop workers: each worker takes the
 * next unissued index and keeps one op in flight. Where `runLoad` (bench/raft) runs for a
 * duration, this runs for a count, which is what "1000 creates" or "fill to 10,000 services"
 * asks for. Errors are counted, never thrown.
 */
export interface FixedLoadOptions {
  count: number;
  concurrency: number;
  /** `index` runs 0..count-1, each exactly once (unless stopped by the deadline). */
  op: (index: number) => Promise<void>;
  /** No new op starts after this `process.hrtime.bigint()` instant; in-flight ops finish. */
  deadlineNs?: bigint;
  /** Aborting stops new ops the same way. */
  signal?: AbortSignal;
}

export interface FixedLoadResult {
  /** Ops started (less than `count` only when the deadline or the signal stopped the run). */
  issued: number;
  ok: number;
  errors: number;
  /** Up to 10 distinct error descriptions with their counts. */
  errorKinds: Record<string, number>;
  /** Latency of the successful ops, in ms. */
  latency: Summary;
  elapsedMs: number;
  /** Successful ops per second of wall time. */
  opsPerSec: number;
  concurrency: number;
  /** Every successful op's latency, in completion order, in ms. */
  samplesMs: Float64Array;
}

const MAX_ERROR_KINDS = 10;

export async function runFixed(opts: FixedLoadOptions): Promise<FixedLoadResult> {
  const { count, concurrency, op } = opts;
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const samples = new SampleBuffer(Math.max(16, count));
  const errorKinds: Record<string, number> = {};
  let next = 0;
  let errors = 0;

  const worker = async () => {
    while (next < count) {
      const t0 = process.hrtime.bigint();
      if (opts.deadlineNs !== undefined && t0 >= opts.deadlineNs) return;
      if (opts.signal?.aborted) return;
      const index = next++;
      try {
        await op(index);
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (err) {
        errors++;
        const kind = describeError(err);
        if (kind in errorKinds) errorKinds[kind]!++;
        else if (Object.keys(errorKinds).length < MAX_ERROR_KINDS) errorKinds[kind] = 1;
      }
    }
  };

  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, count)) }, worker));
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    issued: next,
    ok: samples.length,
    errors,
    errorKinds,
    latency: summarize(samples.values()),
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? samples.length / (elapsedMs / 1000) : 0,
    concurrency,
    samplesMs: Float64Array.from(samples.values()),
  };
}
