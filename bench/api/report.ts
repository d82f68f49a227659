import { median, round } from '../raft/stats';
import {
  type ConcurrentFigures,
  type LatencyFigures,
  type RssCheckpoint,
  type ScenarioResult,
} from './scenario';

/**
 * Turns two scenario results into the figures the report prints: RSS compared at the same
 * number of services, and shoal/docker ratios (for latency and memory below 1 means Shoal is
 * better; for throughput above 1 does).
 */

export interface RssFigures {
  baselineBytes: number;
  withServicesBytes: number;
  services: number;
  bytesPerService: number;
  fillSeconds: number;
  /** This run's services when the concurrent fill started (warm-up and sequential creates). */
  fillFromServices: number;
  peakBytes: number;
}

function medianLatency<T extends LatencyFigures>(xs: readonly T[]): LatencyFigures {
  const m = (k: keyof LatencyFigures) => median(xs.map((x) => x[k]));
  return {
    n: m('n'),
    p50Ms: m('p50Ms'),
    p99Ms: m('p99Ms'),
    meanMs: m('meanMs'),
    maxMs: m('maxMs'),
    // Errors are never averaged away: a round with failures shows in the total.
    errors: xs.reduce((sum, x) => sum + x.errors, 0),
  };
}

function medianCheckpoint(cs: readonly RssCheckpoint[]): RssCheckpoint {
  return {
    target: cs[0]!.target,
    complete: cs.every((c) => c.complete),
    services: median(cs.map((c) => c.services)),
    rssBytes: median(cs.map((c) => c.rssBytes)),
    hwmBytes: Math.max(...cs.map((c) => c.hwmBytes)),
    fillSeconds: median(cs.map((c) => c.fillSeconds)),
  };
}

/**
 * One result from several rounds: every figure is the median over the rounds (errors are
 * summed), and a checkpoint is kept only if every round reached it completely.
 */
export function medianResult(rounds: readonly ScenarioResult[]): ScenarioResult {
  if (rounds.length === 0) throw new RangeError('no rounds to combine');
  if (rounds.length === 1) return rounds[0]!;
  const concurrent = rounds.map((r) => r.createConcurrent);
  const mc = (k: keyof ConcurrentFigures) => median(concurrent.map((x) => x[k]));
  const baselines = rounds.map((r) => r.baseline);
  const targets = rounds[0]!.checkpoints
    .map((c) => c.target)
    .filter((t) => rounds.every((r) => r.checkpoints.some((c) => c.target === t && c.complete)));
  return {
    create: medianLatency(rounds.map((r) => r.create)),
    inspect: medianLatency(rounds.map((r) => r.inspect)),
    createConcurrent: {
      ...medianLatency(concurrent),
      concurrency: concurrent[0]!.concurrency,
      opsPerSec: mc('opsPerSec'),
      serverCpuMsPerCreate: mc('serverCpuMsPerCreate'),
    },
    baseline: baselines.every((b) => b !== undefined)
      ? medianCheckpoint(baselines as RssCheckpoint[])
      : undefined,
    checkpoints: targets.map((t) =>
      medianCheckpoint(rounds.map((r) => r.checkpoints.find((c) => c.target === t)!)),
    ),
    fillFromServices: median(rounds.map((r) => r.fillFromServices)),
    stoppedEarly: rounds.find((r) => r.stoppedEarly)?.stoppedEarly,
  };
}

/** The headline figures of each round, so the spread behind the medians is visible. */
export function perRoundJson(rounds: readonly ScenarioResult[], target: number | undefined) {
  return rounds.map((r) => {
    const rss = rssAt(r, target);
    return {
      createP50Ms: round(r.create.p50Ms, 3),
      createP99Ms: round(r.create.p99Ms, 3),
      inspectP50Ms: round(r.inspect.p50Ms, 3),
      inspectP99Ms: round(r.inspect.p99Ms, 3),
      createConcurrentOpsPerSec: round(r.createConcurrent.opsPerSec, 1),
      baselineBytes: rss?.baselineBytes ?? null,
      withServicesBytes: rss?.withServicesBytes ?? null,
      fillSeconds: rss ? round(rss.fillSeconds, 2) : null,
    };
  });
}

/**
 * The largest checkpoint target that every given result reached completely: memory is
 * compared at the same N. Undefined when some result has no complete checkpoint.
 */
export function commonTarget(results: readonly ScenarioResult[]): number | undefined {
  let common: Set<number> | undefined;
  for (const r of results) {
    const reached = new Set(r.checkpoints.filter((c) => c.complete).map((c) => c.target));
    common = common ? new Set([...common].filter((t) => reached.has(t))) : reached;
  }
  if (!common || common.size === 0) return undefined;
  return Math.max(...common);
}

export function rssAt(r: ScenarioResult, target: number | undefined): RssFigures | undefined {
  if (!r.baseline || target === undefined) return undefined;
  const c: RssCheckpoint | undefined = r.checkpoints.find((x) => x.target === target && x.complete);
  if (!c) return undefined;
  return {
    baselineBytes: r.baseline.rssBytes,
    withServicesBytes: c.rssBytes,
    services: c.services,
    bytesPerService: c.services > 0 ? (c.rssBytes - r.baseline.rssBytes) / c.services : NaN,
    fillSeconds: c.fillSeconds,
    fillFromServices: r.fillFromServices,
    peakBytes: c.hwmBytes,
  };
}

/** a / b rounded; null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined, digits = 3): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return null;
  }
  return round(a / b, digits);
}

function latencyJson(l: LatencyFigures) {
  return {
    p50Ms: round(l.p50Ms, 3),
    p99Ms: round(l.p99Ms, 3),
    meanMs: round(l.meanMs, 3),
    maxMs: round(l.maxMs, 3),
    n: l.n,
    errors: l.errors,
  };
}

export function systemJson(r: ScenarioResult, rss: RssFigures | undefined) {
  return {
    create: latencyJson(r.create),
    inspect: latencyJson(r.inspect),
    createConcurrent: {
      ...latencyJson(r.createConcurrent),
      concurrency: r.createConcurrent.concurrency,
      opsPerSec: round(r.createConcurrent.opsPerSec, 1),
      serverCpuMsPerCreate: round(r.createConcurrent.serverCpuMsPerCreate, 3),
    },
    rss: rss
      ? {
          baselineBytes: rss.baselineBytes,
          withServicesBytes: rss.withServicesBytes,
          services: rss.services,
          bytesPerService: round(rss.bytesPerService, 0),
          fillSeconds: round(rss.fillSeconds, 2),
          fillFromServices: rss.fillFromServices,
          peakBytes: rss.peakBytes,
        }
      : null,
    rssCheckpoints: r.checkpoints.map((c) => ({
      services: c.services,
      rssBytes: c.rssBytes,
      fillSeconds: round(c.fillSeconds, 2),
      complete: c.complete,
    })),
    fillStoppedEarly: r.stoppedEarly ?? null,
  };
}

export function ratiosJson(
  shoal: ScenarioResult,
  docker: ScenarioResult | undefined,
  shoalRss: RssFigures | undefined,
  dockerRss: RssFigures | undefined,
) {
  return {
    createP50: ratio(shoal.create.p50Ms, docker?.create.p50Ms),
    createP99: ratio(shoal.create.p99Ms, docker?.create.p99Ms),
    inspectP50: ratio(shoal.inspect.p50Ms, docker?.inspect.p50Ms),
    inspectP99: ratio(shoal.inspect.p99Ms, docker?.inspect.p99Ms),
    createConcurrentP50: ratio(shoal.createConcurrent.p50Ms, docker?.createConcurrent.p50Ms),
    createConcurrentP99: ratio(shoal.createConcurrent.p99Ms, docker?.createConcurrent.p99Ms),
    createConcurrentOpsPerSec: ratio(
      shoal.createConcurrent.opsPerSec,
      docker?.createConcurrent.opsPerSec,
    ),
    serverCpuPerCreate: ratio(
      shoal.createConcurrent.serverCpuMsPerCreate,
      docker?.createConcurrent.serverCpuMsPerCreate,
    ),
    rssBaseline: ratio(shoalRss?.baselineBytes, dockerRss?.baselineBytes),
    rssWithServices: ratio(shoalRss?.withServicesBytes, dockerRss?.withServicesBytes),
    bytesPerService: ratio(shoalRss?.bytesPerService, dockerRss?.bytesPerService),
    fillSeconds: ratio(shoalRss?.fillSeconds, dockerRss?.fillSeconds),
  };
}

/** A plain fixed-width table: first column left-aligned, the others right-aligned. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (v: number | undefined | null, digits = 2): string =>
  v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
const mib = (b: number | undefined) => (b === undefined ? 'n/a' : (b / 2 ** 20).toFixed(1));

export function formatComparison(
  shoal: ScenarioResult,
  docker: ScenarioResult | undefined,
  shoalRss: RssFigures | undefined,
  dockerRss: RssFigures | undefined,
): string {
  const r = ratiosJson(shoal, docker, shoalRss, dockerRss);
  const c = shoal.createConcurrent.concurrency;
  const row = (
    label: string,
    s: number | undefined,
    d: number | undefined,
    q: number | null,
    digits = 2,
  ) => [label, fmt(s, digits), fmt(d, digits), fmt(q, 3)];
  const rows: string[][] = [
    row(
      `create p50 ms (1 client, n ${shoal.create.n})`,
      shoal.create.p50Ms,
      docker?.create.p50Ms,
      r.createP50,
    ),
    row('create p99 ms', shoal.create.p99Ms, docker?.create.p99Ms, r.createP99),
    row(
      `inspect p50 ms (1 client, n ${shoal.inspect.n})`,
      shoal.inspect.p50Ms,
      docker?.inspect.p50Ms,
      r.inspectP50,
    ),
    row('inspect p99 ms', shoal.inspect.p99Ms, docker?.inspect.p99Ms, r.inspectP99),
    row(
      `create p50 ms (${c} clients)`,
      shoal.createConcurrent.p50Ms,
      docker?.createConcurrent.p50Ms,
      r.createConcurrentP50,
    ),
    row(
      `create p99 ms (${c} clients)`,
      shoal.createConcurrent.p99Ms,
      docker?.createConcurrent.p99Ms,
      r.createConcurrentP99,
    ),
    row(
      `creates/s (${c} clients)`,
      shoal.createConcurrent.opsPerSec,
      docker?.createConcurrent.opsPerSec,
      r.createConcurrentOpsPerSec,
      0,
    ),
    row(
      'server CPU ms per create',
      shoal.createConcurrent.serverCpuMsPerCreate,
      docker?.createConcurrent.serverCpuMsPerCreate,
      r.serverCpuPerCreate,
      3,
    ),
    [
      'RSS MiB, 0 services',
      mib(shoalRss?.baselineBytes),
      mib(dockerRss?.baselineBytes),
      fmt(r.rssBaseline, 3),
    ],
    [
      `RSS MiB, ${shoalRss?.services ?? dockerRss?.services ?? '?'} services`,
      mib(shoalRss?.withServicesBytes),
      mib(dockerRss?.withServicesBytes),
      fmt(r.rssWithServices, 3),
    ],
    row(
      'bytes per service',
      shoalRss?.bytesPerService,
      dockerRss?.bytesPerService,
      r.bytesPerService,
      0,
    ),
    row(
      `fill s (${shoalRss?.fillFromServices ?? '?'} → ${shoalRss?.services ?? '?'}, ${c} clients)`,
      shoalRss?.fillSeconds,
      dockerRss?.fillSeconds,
      r.fillSeconds,
    ),
  ];
  return formatTable(['', 'shoal', 'docker', 'shoal/docker'], rows);
}
