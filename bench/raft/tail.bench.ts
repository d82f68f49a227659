/**
 * The shape of one system's commit-latency tail: the same load as bench:raft, one system, and
 * where its slow requests fall in time (spread out, or in stalls that hit every client at
 * once). The tool behind the node-flag comparison in docs/benchmarks.md.
 *
 *   npm run bench:raft-tail -- [--system shoal|etcd] [--duration 20] [--node-flags "FLAGS"]
 *
 * --node-flags replaces the Shoal members' node flags (default RAFT_HOST_NODE_FLAGS, what
 * shoald runs with; "" for node's defaults). SHOAL_KV_NODE_FLAGS adds flags after them, e.g.
 * "--trace-gc". The last line is one JSON object.
 */
import { parseArgs } from 'node:util';
import { RAFT_HOST_NODE_FLAGS } from '@shoal/raft/node';
import { formatLoadResult, runLoad } from './load.harness';
import { describeMachine, formatMachine } from './machine';
import { round } from './stats';
import { startEtcd, startShoal } from './systems';
import { type CompletedOp, tailShape } from './tail-analysis';
import { DEFAULT_PUT_WORKLOAD, keyFor, makeValue } from './workload';

const WINDOW_MS = 250;
const SHOWN_STALLS = 12;

const { values: args } = parseArgs({
  options: {
    system: { type: 'string', default: 'shoal' },
    duration: { type: 'string', default: '20' },
    'node-flags': { type: 'string' },
  },
});

async function main(): Promise<void> {
  const system = args.system;
  if (system !== 'shoal' && system !== 'etcd') throw new Error('--system must be shoal or etcd');
  const durationS = Number(args.duration);
  if (!(durationS > 0)) throw new Error('--duration must be a positive number of seconds');
  const nodeFlags =
    args['node-flags'] === undefined
      ? RAFT_HOST_NODE_FLAGS
      : args['node-flags'].split(/\s+/).filter(Boolean);
  console.log(formatMachine(describeMachine()));

  const sut = system === 'etcd' ? await startEtcd() : await startShoal(nodeFlags);
  const { concurrency, keySpace, warmupMs } = DEFAULT_PUT_WORKLOAD;
  const value = makeValue(DEFAULT_PUT_WORKLOAD.valueBytes);
  const ops: CompletedOp[] = [];
  let r;
  try {
    r = await runLoad({
      concurrency,
      durationMs: durationS * 1000,
      warmupMs,
      op: (w, seq) => sut.put(keyFor(w, seq, keySpace), value),
      onResult: (o) => {
        if (o.measured && o.ok) {
          ops.push({ endMs: Number(o.endNs) / 1e6, latencyMs: Number(o.endNs - o.startNs) / 1e6 });
        }
      },
    });
  } finally {
    await sut.stop();
  }
  console.log(`${sut.describe}\n${formatLoadResult(sut.name, r)}`);

  // A stall: a window in which at least half of the clients finished a request over p99.
  const shape = tailShape(ops, r.p99Ms, WINDOW_MS, concurrency / 2);
  // onResult runs as each op completes, so the first recorded op completed first.
  const origin = ops[0]?.endMs ?? 0;
  console.log(
    `${shape.slow} requests over p99 (${r.p99Ms.toFixed(1)} ms); ${shape.stalls.length} windows ` +
      `of ${WINDOW_MS} ms held ≥ ${concurrency / 2} of them, ${Math.round(shape.slowInStalls * 100)} % of all`,
  );
  for (const w of shape.stalls.slice(0, SHOWN_STALLS)) {
    console.log(
      `  at ${((w.startMs - origin) / 1000).toFixed(2)} s: ${w.slow} of ${w.ops} over p99, ` +
        `slowest ${w.maxLatencyMs.toFixed(1)} ms`,
    );
  }
  console.log(
    JSON.stringify({
      system,
      node_flags: system === 'shoal' ? nodeFlags.join(' ') : null,
      ops_s: round(r.opsPerSec, 1),
      p50_ms: round(r.p50Ms, 2),
      p99_ms: round(r.p99Ms, 2),
      p999_ms: round(r.latency.p999, 2),
      max_ms: round(r.maxMs, 2),
      errors: r.errors,
      over_p99: shape.slow,
      stall_windows: shape.stalls.length,
      over_p99_in_stalls: round(shape.slowInStalls, 3),
      window_ms: WINDOW_MS,
      duration_s: durationS,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
