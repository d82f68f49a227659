import os from 'node:os';
import path from 'node:path';
import { RAFT_HOST_NODE_FLAGS } from '@shoal/raft/node';
import { tlsCredentialsFromDir } from '../../test/support/raft-kv/grpc.pool';
import { KvCluster } from '../../test/support/raft-kv/kv-cluster';
import { RaftKvClient } from '../../test/support/raft-kv/kv.client';
import { startEtcdCluster } from './etcd-cluster';
import { EtcdKvClient } from './etcd-kv.client';

/**
 * The two systems the Raft benchmarks compare, behind one shape: three members on loopback,
 * real fsync, mutual TLS on every connection (Shoal always runs mTLS, so etcd gets it too).
 */
export interface SystemUnderTest {
  name: 'shoal' | 'etcd';
  describe: string;
  put(key: string, value: Buffer): Promise<void>;
  /** The id of the member that leads now. */
  leader(): Promise<string>;
  kill(member: string, signal: NodeJS.Signals): Promise<void>;
  restart(member: string): Promise<void>;
  stop(): Promise<void>;
}

/** etcd 3.4's default --snapshot-count, so both systems snapshot equally often. */
const SNAPSHOT_ENTRIES = 100_000;

/** `nodeFlags`: node's flags for the members; default what shoald runs with. */
export async function startShoal(
  nodeFlags: readonly string[] = RAFT_HOST_NODE_FLAGS,
): Promise<SystemUnderTest> {
  const cluster = await KvCluster.create({
    size: 3,
    compiled: true,
    nodeFlags,
    // The applied-order log is crash-test instrumentation etcd has no counterpart for.
    nodeArgs: ['--snapshot-entries', String(SNAPSHOT_ENTRIES), '--no-applied-order'],
  });
  await cluster.startAll();
  const client = new RaftKvClient(cluster.clientAddresses, {
    credentials: tlsCredentialsFromDir(path.join(cluster.dir, 'pki'), 'client'),
    leaderWaitMs: 20_000,
    // The same keepalive the etcd client uses (see etcd-kv.client.ts for why it is needed).
    channelOptions: { 'grpc.keepalive_time_ms': 250, 'grpc.keepalive_timeout_ms': 1_000 },
  });
  await client.connect();
  return {
    name: 'shoal',
    describe: `shoal raft × 3 (compiled, node flags [${nodeFlags.join(' ')}], mTLS, fsync, snapshot every ${SNAPSHOT_ENTRIES} entries) in ${cluster.dir}`,
    put: async (key, value) => {
      await client.put(key, value);
    },
    leader: async () => {
      const l = await client.refreshLeader();
      if (!l) throw new Error('no shoal leader');
      return l.id;
    },
    kill: (member, signal) => cluster.kill(member, signal),
    restart: (member) => cluster.start(member),
    stop: async () => {
      client.close();
      await cluster.destroy();
    },
  };
}

export async function startEtcd(): Promise<SystemUnderTest> {
  const cluster = await startEtcdCluster({ baseDir: os.tmpdir(), tls: 'generate' });
  const creds = cluster.clientCredentials();
  const client = new EtcdKvClient({
    endpoints: cluster.endpoints,
    target: 'leader',
    leaderWaitMs: 20_000,
    ...(creds ? { credentials: creds } : {}),
  });
  await client.connect();
  const member = (name: string) => {
    const m = cluster.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  };
  return {
    name: 'etcd',
    describe: `etcd ${cluster.version} × 3 (mTLS, fsync) in ${cluster.rootDir}`,
    put: async (key, value) => {
      await client.put(key, value);
    },
    leader: async () => (await cluster.leader()).name,
    kill: (name, signal) => member(name).kill(signal),
    restart: async (name) => {
      await member(name).restart();
      await cluster.waitHealthy();
    },
    stop: async () => {
      client.close();
      await cluster.stop();
    },
  };
}
