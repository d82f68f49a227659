import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { etcdInstalled } from '../../test/support/etcd-installed';
import { findEtcdBinary, liveMemberLogTails, startEtcdCluster } from './etcd-cluster';
import { EtcdKvClient } from './etcd-kv.client';

describe('findEtcdBinary', () => {
  it('names the Debian packages when etcd is missing', async () => {
    await expect(findEtcdBinary('/nonexistent/etcd')).rejects.toThrow(
      /apt-get install -y etcd-server etcd-client/,
    );
  });
});

// Needs Debian's etcd-server; skipped (and said so by vitest) where it is not installed.
describe.skipIf(!etcdInstalled())('startEtcdCluster (real etcd)', () => {
  it('starts 3 members, serves puts via the leader, survives a leader kill, cleans up', async () => {
    const cluster = await startEtcdCluster({ heartbeatMs: 50, electionMs: 500 });
    const client = new EtcdKvClient({ endpoints: cluster.endpoints, leaderWaitMs: 10_000 });
    try {
      expect(cluster.version).toMatch(/^3\./);
      expect(cluster.members).toHaveLength(3);
      const leader = await client.connect();
      const put = await client.put('k', Buffer.from('v1'));
      expect(put.revision).toBeGreaterThan(1);
      const read = await client.range('k');
      expect(read.kvs.map((kv) => kv.value.toString())).toEqual(['v1']);

      const old = await cluster.leader();
      expect(old.endpoint).toBe(leader.endpoint);
      await old.kill();
      expect(old.running()).toBe(false);
      // The client moves to the new leader by itself. The first put may still go out on the
      // dead connection before the client has seen it close; that one fails (outcome unknown
      // from the client's view), and the client has re-routed by the next.
      await client.put('k', Buffer.from('v2')).catch(() => client.put('k', Buffer.from('v2')));
      const now = await cluster.leader();
      expect(now.name).not.toBe(old.name);

      await old.restart();
      await cluster.waitHealthy(20_000);
      expect((await client.range('k')).kvs[0]!.value.toString()).toBe('v2');
    } finally {
      client.close();
      await cluster.stop();
    }
    expect(existsSync(cluster.rootDir)).toBe(false);
    expect(cluster.members.every((m) => !m.running())).toBe(true);
  });

  it('runs with generated mTLS and rejects a client without a certificate', async () => {
    const cluster = await startEtcdCluster({ tls: 'generate' });
    const creds = cluster.clientCredentials();
    const good = new EtcdKvClient({ endpoints: cluster.endpoints, credentials: creds! });
    const bad = new EtcdKvClient({ endpoints: cluster.endpoints, leaderWaitMs: 1_000 });
    try {
      expect(cluster.tls).toBe(true);
      await good.put('k', Buffer.from('v'));
      await expect(bad.put('k', Buffer.from('v'))).rejects.toThrow();
    } finally {
      good.close();
      bad.close();
      await cluster.stop();
    }
  });

  it('waitHealthy skips a member killed on purpose but fails on one that died by itself', async () => {
    const cluster = await startEtcdCluster({ heartbeatMs: 50, electionMs: 500 });
    try {
      const [a, b] = cluster.members;
      await a!.kill();
      await cluster.waitHealthy(10_000);

      // Not through kill(): as if the member had crashed, or refused its data dir on restart.
      process.kill(b!.pid()!, 'SIGKILL');
      while (b!.running()) await new Promise((r) => setTimeout(r, 10));
      await expect(cluster.waitHealthy(10_000)).rejects.toThrow(/etcd-1 exited by itself/);

      const tails = liveMemberLogTails();
      expect(tails).toMatch(/--- etcd-0 \(not running\)/);
      expect(tails).toMatch(/--- etcd-2 \(running, pid \d+\)/);
    } finally {
      await cluster.stop();
    }
    expect(liveMemberLogTails()).toBe('');
  });
});
