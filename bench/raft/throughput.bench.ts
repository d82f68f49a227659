/**
 * Raft throughput and commit latency: Shoal against etcd 3.4, measured in the same run on the
 * same machine with the same harness and workload (3 members on loopback, real fsync, mTLS,
 * 1 KiB puts from 64 closed-loop clients).
 *
 *   npm run bench:raft -- [--duration 30] [--rounds 1] [--concurrency 64] [--value-bytes 1024]
 *                         [--compare-node-defaults]
 *
 * --compare-node-defaults adds, in every round, Shoal with node's default heap settings instead
 * of RAFT_HOST_NODE_FLAGS (what shoald runs with), to show what those flags are worth.
 *
 * Every round runs each system once, and the order rotates from round to round (shoal, etcd;
 * etcd, shoal; ...), so slow drift in the machine's load hits all of them alike; the figures
 * are medians over rounds. The last line is one JSON object.
 */
import { parseArgs } from 'node:util';
import { formatLoadResult, type LoadResult, runLoad } from './load.harness';
import { describeMachine, formatMachine } from './machine';
import { median, round } from './stats';
import { type SystemUnderTest, startEtcd, startShoal } from './systems';
import { DEFAULT_PUT_WORKLOAD, keyFor, makeValue } from './workload';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.durationMs / 1000) },
    rounds: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.concurrency) },
    'value-bytes': { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.valueBytes) },
    'compare-node-defaults': { type: 'boolean', default: false },
  },
});

function positive(name: keyof typeof args): number {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

async function measure(
  label: string,
  start: () => Promise<SystemUnderTest>,
  durationMs: number,
): Promise<LoadResult> {
  const sut = await start();
  try {
    const concurrency = positive('concurrency');
    const value = makeValue(positive('value-bytes'));
    const r = await runLoad({
      concurrency,
      durationMs,
      warmupMs: DEFAULT_PUT_WORKLOAD.warmupMs,
      op: (w, seq) => sut.put(keyFor(w, seq, DEFAULT_PUT_WORKLOAD.keySpace), value),
    });
    console.log(`${sut.describe}\n${formatLoadResult(label, r)}`);
    return r;
  } finally {
    await sut.stop();
  }
}

async function main(): Promise<void> {
  const durationMs = positive('duration') * 1000;
  const rounds = positive('rounds');
  console.log(formatMachine(describeMachine()));
  const shoal: LoadResult[] = [];
  const untuned: LoadResult[] = [];
  const etcd: LoadResult[] = [];
  const runs = [
    { label: 'shoal', start: () => startShoal(), results: shoal },
    ...(args['compare-node-defaults']
      ? [{ label: 'shoal-node-defaults', start: () => startShoal([]), results: untuned }]
      : []),
    { label: 'etcd', start: startEtcd, results: etcd },
  ];
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < runs.length; k++) {
      const run = runs[(i + k) % runs.length]!;
      run.results.push(await measure(run.label, run.start, durationMs));
    }
  }
  const m = (rs: LoadResult[], k: 'opsPerSec' | 'p50Ms' | 'p99Ms' | 'maxMs') =>
    median(rs.map((r) => r[k]));
  // Past p99 the tail is a handful of pauses per round; reported so a better p99 cannot hide a
  // worse extreme.
  const p999 = (rs: LoadResult[]) => median(rs.map((r) => r.latency.p999));
  const shoalOps = m(shoal, 'opsPerSec');
  const etcdOps = m(etcd, 'opsPerSec');
  console.log(
    JSON.stringify({
      shoal_ops_s: round(shoalOps, 1),
      etcd_ops_s: round(etcdOps, 1),
      ratio: round(shoalOps / etcdOps, 3),
      shoal_p50_ms: round(m(shoal, 'p50Ms'), 2),
      shoal_p99_ms: round(m(shoal, 'p99Ms'), 2),
      etcd_p50_ms: round(m(etcd, 'p50Ms'), 2),
      etcd_p99_ms: round(m(etcd, 'p99Ms'), 2),
      p99_ratio: round(m(shoal, 'p99Ms') / m(etcd, 'p99Ms'), 3),
      shoal_p999_ms: round(p999(shoal), 2),
      etcd_p999_ms: round(p999(etcd), 2),
      shoal_max_ms: round(m(shoal, 'maxMs'), 2),
      etcd_max_ms: round(m(etcd, 'maxMs'), 2),
      ...(untuned.length > 0
        ? {
            shoal_node_defaults: {
              ops_s: round(m(untuned, 'opsPerSec'), 1),
              p50_ms: round(m(untuned, 'p50Ms'), 2),
              p99_ms: round(m(untuned, 'p99Ms'), 2),
              p999_ms: round(p999(untuned), 2),
              max_ms: round(m(untuned, 'maxMs'), 2),
              errors: untuned.reduce((n, r) => n + r.errors, 0),
            },
          }
        : {}),
      shoal_errors: shoal.reduce((n, r) => n + r.errors, 0),
      etcd_errors: etcd.reduce((n, r) => n + r.errors, 0),
      rounds,
      duration_s: durationMs / 1000,
      concurrency: positive('concurrency'),
      value_bytes: positive('value-bytes'),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
