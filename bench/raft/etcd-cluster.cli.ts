/**
 * Runs the benchmark's etcd cluster by hand, for poking at it with etcdctl or a profiler:
 *   npx tsx bench/raft/etcd-cluster.cli.ts [--size 3] [--tls] [--tls-dir DIR] [--keep]
 * Prints one JSON line with the endpoints (and PKI dir), then runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startEtcdCluster } from './etcd-cluster';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '3' },
    tls: { type: 'boolean', default: false },
    'tls-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const tlsDir = args['tls-dir'];
  const tls = tlsDir ? { dir: tlsDir } : args.tls ? ('generate' as const) : undefined;
  const cluster = await startEtcdCluster({
    size: Number(args.size),
    keepData: args.keep,
    ...(tls ? { tls } : {}),
  });
  const leader = await cluster.leader();
  console.log(
    JSON.stringify({
      version: cluster.version,
      endpoints: cluster.endpoints,
      members: cluster.members.map((m) => ({ name: m.name, endpoint: m.endpoint, pid: m.pid() })),
      leader: leader.name,
      dir: cluster.rootDir,
      pki: tls === 'generate' ? `${cluster.rootDir}/pki` : tlsDir,
    }),
  );
  const stop = () => {
    void cluster.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
