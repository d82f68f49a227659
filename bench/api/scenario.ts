import { setTimeout as sleep } from 'node:timers/promises';
import { type FixedLoadResult, runFixed } from './fixed-load';
import { type ProcMemory } from './proc';
import { median, summarize } from '../raft/stats';
import { fillCheckpoints, fillWouldOverrun, randomIndices, serviceSpec } from './workload';

/**
 * The measurement one system goes through, in this order (the same for Shoal and Docker):
 *
 *  1. RSS baseline with none of this run's services.
 *  2. Warm-up: creates and inspects that are not recorded (connections, JIT, caches).
 *  3. Sequential creates (one client): create latency.
 *  4. Sequential inspects of services picked at random (seeded: the same creation indices on
 *     both systems) among those created so far: inspect latency.
 *  5. Fill to `services` with `concurrency` clients, pausing at each checkpoint to let the
 *     server settle and read its RSS. This is also the concurrent-create measurement
 *     (throughput, latency, server CPU per create). If the projected fill time would pass the
 *     budget, the fill stops at the last checkpoint reached and says so.
 */

export interface ScenarioApi {
  json(method: string, path: string, body: unknown, ok: readonly number[]): Promise<unknown>;
}

export interface ScenarioOptions {
  runId: string;
  warmupCreates: number;
  warmupInspects: number;
  creates: number;
  inspects: number;
  concurrency: number;
  /** Services of this run to end with. */
  services: number;
  /** Intermediate RSS checkpoints (counts of this run's services). */
  checkpoints: readonly number[];
  fillBudgetSec: number;
  /** Quiet time before each RSS reading. */
  settleMs: number;
  seed: number;
  log: (line: string) => void;
  /** Injected for the spec; /proc readers in the benchmark. */
  readMemory: (pid: number) => ProcMemory;
  readCpuMs: (pid: number) => number;
  /** Aborting stops new requests; the scenario then throws the abort reason. */
  signal?: AbortSignal;
}

export interface LatencyFigures {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  errors: number;
}

export interface ConcurrentFigures extends LatencyFigures {
  concurrency: number;
  opsPerSec: number;
  /** Server CPU (user + system) per successful create during the fill; NaN without a pid. */
  serverCpuMsPerCreate: number;
}

export interface RssCheckpoint {
  /** The planned count this reading was taken at (0 for the baseline). */
  target: number;
  /** This run's services stored at the reading (below `target` if creates failed). */
  services: number;
  rssBytes: number;
  hwmBytes: number;
  /** False when the time budget cut the segment short of `target`. */
  complete: boolean;
  /** Active fill time from the start of the fill to this checkpoint (settle pauses excluded). */
  fillSeconds: number;
}

export interface ScenarioResult {
  create: LatencyFigures;
  inspect: LatencyFigures;
  createConcurrent: ConcurrentFigures;
  /** Undefined when the server's pid is unknown. */
  baseline: RssCheckpoint | undefined;
  checkpoints: RssCheckpoint[];
  /** This run's services when the fill started. */
  fillFromServices: number;
  /** Why the fill ended before `services`, if it did. */
  stoppedEarly: string | undefined;
}

export function latencyFigures(r: Pick<FixedLoadResult, 'latency' | 'errors'>): LatencyFigures {
  return {
    n: r.latency.count,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: r.latency.mean,
    maxMs: r.latency.max,
    errors: r.errors,
  };
}

function reportErrors(log: (l: string) => void, what: string, r: FixedLoadResult): void {
  if (r.errors === 0) return;
  log(`  ${what}: WITH ${r.errors} ERRORS`);
  for (const [kind, n] of Object.entries(r.errorKinds)) log(`    ${n} × ${kind}`);
}

/**
 * Runs the scenario against one server. `createdIds` is the caller's array and receives every
 * created service ID as it is created, so cleanup works even if the scenario throws midway.
 */
export async function runScenario(
  api: ScenarioApi,
  pid: number | undefined,
  opts: ScenarioOptions,
  createdIds: string[],
): Promise<ScenarioResult> {
  const { log } = opts;
  let nextIndex = 0;
  const create = async (index: number) => {
    const res = (await api.json(
      'POST',
      '/services/create',
      serviceSpec(opts.runId, index),
      [201],
    )) as { ID?: unknown };
    if (typeof res?.ID !== 'string') throw new Error('create answered without an ID');
    createdIds.push(res.ID);
  };
  const createMany = (count: number, concurrency: number, deadlineNs?: bigint) => {
    const base = nextIndex;
    nextIndex += count;
    return runFixed({
      count,
      concurrency,
      deadlineNs,
      signal: opts.signal,
      op: (i) => create(base + i),
    }).finally(() => opts.signal?.throwIfAborted());
  };
  const inspectMany = (count: number, seed: number) => {
    const ids = createdIds.slice();
    const picks = randomIndices(count, ids.length, seed);
    return runFixed({
      count,
      concurrency: 1,
      signal: opts.signal,
      op: async (i) => {
        await api.json('GET', `/services/${ids[picks[i]!]}`, undefined, [200]);
      },
    }).finally(() => opts.signal?.throwIfAborted());
  };
  const readRss = async (
    target: number,
    fillSeconds: number,
    complete = true,
  ): Promise<RssCheckpoint | undefined> => {
    if (pid === undefined) return undefined;
    await sleep(opts.settleMs);
    // Five readings 100 ms apart, median: one GC or allocator step does not decide it.
    const readings: ProcMemory[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) await sleep(100);
      readings.push(opts.readMemory(pid));
    }
    return {
      target,
      complete,
      services: createdIds.length,
      rssBytes: median(readings.map((r) => r.rssBytes)),
      hwmBytes: Math.max(...readings.map((r) => r.hwmBytes)),
      fillSeconds,
    };
  };

  const baseline = await readRss(0, 0);

  const warm = await createMany(opts.warmupCreates, 1);
  reportErrors(log, 'warm-up creates', warm);
  if (createdIds.length === 0) {
    throw new Error(`no warm-up create succeeded: ${Object.keys(warm.errorKinds).join('; ')}`);
  }
  reportErrors(log, 'warm-up inspects', await inspectMany(opts.warmupInspects, opts.seed + 1));

  const seq = await createMany(opts.creates, 1);
  reportErrors(log, 'creates', seq);
  const inspect = await inspectMany(opts.inspects, opts.seed);
  reportErrors(log, 'inspects', inspect);
  log(
    `  sequential: create p50 ${seq.latency.p50.toFixed(2)} ms (n ${seq.latency.count}), ` +
      `inspect p50 ${inspect.latency.p50.toFixed(2)} ms (n ${inspect.latency.count})`,
  );

  // The fill, segment by segment.
  const fillFromServices = createdIds.length;
  const targets = fillCheckpoints(opts.checkpoints, fillFromServices, opts.services);
  const checkpoints: RssCheckpoint[] = [];
  const fillSamples: number[] = [];
  let fillErrors = 0;
  let fillOk = 0;
  let fillMs = 0;
  let cpuMs = 0;
  let stoppedEarly: string | undefined;
  for (const target of targets) {
    const current = createdIds.length;
    const elapsedSec = fillMs / 1000;
    if (
      fillWouldOverrun({
        elapsedSec,
        createdSoFar: current - fillFromServices,
        current,
        nextTarget: target,
        budgetSec: opts.fillBudgetSec,
      })
    ) {
      stoppedEarly = `filling on to ${target} would take longer than the ${opts.fillBudgetSec} s budget`;
      break;
    }
    // A hard stop too, should the rate collapse within a segment.
    const leftMs = Math.max(0, opts.fillBudgetSec * 1000 - fillMs) * 1.25 + 5_000;
    const deadlineNs = process.hrtime.bigint() + BigInt(Math.round(leftMs * 1e6));
    const cpu0 = pid !== undefined ? opts.readCpuMs(pid) : 0;
    const segment = await createMany(target - current, opts.concurrency, deadlineNs);
    const cpu1 = pid !== undefined ? opts.readCpuMs(pid) : 0;
    cpuMs += cpu1 - cpu0;
    fillMs += segment.elapsedMs;
    fillOk += segment.ok;
    fillErrors += segment.errors;
    fillSamples.push(...segment.samplesMs);
    reportErrors(log, `fill to ${target}`, segment);
    const complete = segment.issued === target - current;
    const checkpoint = await readRss(target, fillMs / 1000, complete);
    if (checkpoint) checkpoints.push(checkpoint);
    log(
      `  fill: ${createdIds.length} services after ${(fillMs / 1000).toFixed(1)} s` +
        (checkpoint ? `, RSS ${(checkpoint.rssBytes / 2 ** 20).toFixed(1)} MiB` : ''),
    );
    if (!complete) {
      stoppedEarly = `the fill passed its time budget (${opts.fillBudgetSec} s) at ${createdIds.length} services`;
      break;
    }
  }
  if (stoppedEarly) log(`  fill stopped early: ${stoppedEarly}`);

  const fillLatency = summarize(fillSamples);
  return {
    create: latencyFigures(seq),
    inspect: latencyFigures(inspect),
    createConcurrent: {
      ...latencyFigures({ latency: fillLatency, errors: fillErrors }),
      concurrency: opts.concurrency,
      opsPerSec: fillMs > 0 ? fillOk / (fillMs / 1000) : NaN,
      serverCpuMsPerCreate: pid !== undefined && fillOk > 0 ? cpuMs / fillOk : NaN,
    },
    baseline,
    checkpoints,
    fillFromServices,
    stoppedEarly,
  };
}
