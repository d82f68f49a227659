/**
 * `npm run demo:raft`: the Raft library on its own. Starts a local three-member
 * Raft cluster (real processes, real fsync, mTLS on loopback), writes to it, kills the leader
 * with SIGKILL, shows the survivors carry on, restarts the dead member and shows every member
 * converge on the same data. Ends with one JSON line of what it saw.
 */
import path from 'node:path';
import { tlsCredentialsFromDir } from '../test/support/raft-kv/grpc.pool';
import { KvCluster } from '../test/support/raft-kv/kv-cluster';
import { RaftKvClient } from '../test/support/raft-kv/kv.client';

const say = (s: string) => process.stdout.write(`${s}\n`);

async function writeMany(client: RaftKvClient, prefix: string, n: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < n; i++)
    last = (await client.put(`${prefix}-${i}`, Buffer.from(String(i)))).index;
  return last;
}

async function main(): Promise<void> {
  const cluster = await KvCluster.create({ size: 3 });
  const client = () =>
    new RaftKvClient(cluster.clientAddresses, {
      credentials: tlsCredentialsFromDir(path.join(cluster.dir, 'pki'), 'client'),
      leaderWaitMs: 20_000,
    });
  const kv = client();
  try {
    say(`starting 3 members in ${cluster.dir}`);
    await cluster.startAll();
    const first = await kv.connect();
    say(`leader: ${first.id} (term ${first.term})`);
    await writeMany(kv, 'before', 100);
    say('wrote 100 keys');

    const killedAt = Date.now();
    await cluster.kill(first.id, 'SIGKILL');
    say(`killed ${first.id} with SIGKILL`);
    await kv.put('after-kill', Buffer.from('x'));
    const failoverMs = Date.now() - killedAt;
    const second = await kv.refreshLeader();
    say(
      `new leader: ${second?.id} (term ${second?.term}); first write committed ${failoverMs} ms after the kill`,
    );
    const lastIndex = await writeMany(kv, 'during', 100);

    await cluster.start(first.id);
    say(`restarted ${first.id}; waiting for every member to apply index ${lastIndex}`);
    const dumps = await Promise.all(
      cluster.nodes.map((n) => kv.dumpWhenApplied(n.clientAddress, lastIndex, 20_000)),
    );
    const same = dumps.every((d) => JSON.stringify(d.keys) === JSON.stringify(dumps[0]!.keys));
    say(same ? 'all 3 members hold the same 201 writes in the same order' : 'MEMBERS DIVERGE');
    say(
      JSON.stringify({ failover_ms: failoverMs, members_agree: same, keys: dumps[0]!.keys.length }),
    );
    if (!same) process.exitCode = 1;
  } finally {
    kv.close();
    await cluster.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
