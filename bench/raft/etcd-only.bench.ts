/**
 * etcd alone through the shared harness: a smoke test of the etcd side of the Raft
 * comparison, and a quick way to see what this machine gives etcd before running the full
 * benchmark. Usage:
 *   npx tsx bench/raft/etcd-only.bench.ts [--duration 10] [--concurrency 64] [--value-bytes 1024]
 *     [--channels 1] [--target leader|round-robin] [--warmup 2] [--tls | --tls-dir DIR]
 * The last line of output is one JSON object.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster';
import { EtcdKvClient } from './etcd-kv.client';
import { formatFsync, probeFsync } from './fsync.probe';
import { formatLoadResult, runLoad } from './load.harness';
import { describeMachine, formatMachine } from './machine';
import { round } from './stats';
import { DEFAULT_PUT_WORKLOAD, keyFor, makeValue } from './workload';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.warmupMs / 1000) },
    concurrency: { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.concurrency) },
    'value-bytes': { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.valueBytes) },
    'key-space': { type: 'string', default: String(DEFAULT_PUT_WORKLOAD.keySpace) },
    channels: { type: 'string', default: '1' },
    target: { type: 'string', default: 'leader' },
    tls: { type: 'boolean', default: false },
    'tls-dir': { type: 'string' },
    'base-dir': { type: 'string', default: os.tmpdir() },
  },
});

function num(name: keyof typeof args): number {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}

async function main(): Promise<void> {
  const durationMs = num('duration') * 1000;
  const warmupMs = num('warmup') * 1000;
  const concurrency = num('concurrency');
  const valueBytes = num('value-bytes');
  const keySpace = num('key-space');
  const channels = num('channels');
  const target = args.target === 'round-robin' ? 'round-robin' : 'leader';
  const baseDir = args['base-dir']!;

  console.log(formatMachine(describeMachine(baseDir)));
  const fsyncAppend = probeFsync({ dir: baseDir, mode: 'append' });
  const fsyncOverwrite = probeFsync({ dir: baseDir, mode: 'overwrite' });
  console.log(formatFsync(fsyncAppend));
  console.log(formatFsync(fsyncOverwrite));

  const tlsDir = args['tls-dir'];
  let cluster: EtcdCluster | undefined;
  let client: EtcdKvClient | undefined;
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const tls = tlsDir ? { dir: tlsDir } : args.tls ? ('generate' as const) : undefined;
    cluster = await startEtcdCluster({ baseDir, ...(tls ? { tls } : {}) });
    const creds = cluster.clientCredentials();
    client = new EtcdKvClient({
      endpoints: cluster.endpoints,
      target,
      channelsPerEndpoint: channels,
      ...(creds ? { credentials: creds } : {}),
    });
    const leader = await client.connect();
    console.log(
      `etcd ${cluster.version} × ${cluster.members.length} on ${cluster.endpoints.join(', ')}` +
        ` (${cluster.tls ? 'mTLS' : 'plaintext'}), leader ${leader.endpoint}; ` +
        `puts → ${target}, ${channels} connection(s) per member`,
    );
    console.log(
      `workload: ${concurrency} closed-loop clients × ${valueBytes} B puts, ` +
        `${warmupMs / 1000} s warm-up + ${durationMs / 1000} s measured`,
    );
    const value = makeValue(valueBytes);
    const kv = client;
    const r = await runLoad({
      concurrency,
      durationMs,
      warmupMs,
      signal: ac.signal,
      op: async (w, seq) => {
        await kv.put(keyFor(w, seq, keySpace), value);
      },
    });
    console.log(formatLoadResult('etcd', r));
    console.log(
      JSON.stringify({
        etcd_version: cluster.version,
        etcd_ops_s: round(r.opsPerSec, 1),
        etcd_p50_ms: round(r.p50Ms, 3),
        etcd_p99_ms: round(r.p99Ms, 3),
        etcd_max_ms: round(r.maxMs, 3),
        etcd_errors: r.errors,
        concurrency,
        value_bytes: valueBytes,
        duration_s: round(r.windowMs / 1000, 2),
        fsync_append_p50_ms: round(fsyncAppend.latencyMs.p50, 3),
        fsync_overwrite_p50_ms: round(fsyncOverwrite.latencyMs.p50, 3),
      }),
    );
  } finally {
    client?.close();
    await cluster?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
