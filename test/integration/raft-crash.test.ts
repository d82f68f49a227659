/**
 * Three real OS processes on loopback, each with its own on-disk WAL (real fsync), under a
 * write load. The leader is killed with SIGKILL ten times, then all three at once. Afterwards
 * every acknowledged write must be present, exactly once and in the same order, on every node.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsCredentialsFromDir } from '../support/raft-kv/grpc.pool';
import { KvCluster } from '../support/raft-kv/kv-cluster';
import { RaftKvClient, RaftKvError } from '../support/raft-kv/kv.client';

const LEADER_KILLS = 10;
const WRITERS = 8;

let cluster: KvCluster;
let client: RaftKvClient;

beforeAll(async () => {
  cluster = await KvCluster.create({ size: 3 });
  await cluster.startAll();
  client = new RaftKvClient(cluster.clientAddresses, {
    credentials: tlsCredentialsFromDir(path.join(cluster.dir, 'pki'), 'client'),
    leaderWaitMs: 20_000,
  });
  await client.connect();
}, 60_000);

afterAll(async () => {
  client?.close();
  await cluster?.destroy();
});

/** Writers put unique keys in sequence and record which ones were acknowledged. */
class WriteLoad {
  readonly acked: string[][] = Array.from({ length: WRITERS }, () => []);
  unknown = 0;
  notApplied = 0;
  private running = true;
  private readonly done: Promise<void[]>;

  constructor() {
    this.done = Promise.all(Array.from({ length: WRITERS }, (_, w) => this.writer(w)));
  }

  private async writer(w: number): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const key = `w${w}-${seq}`;
      try {
        await client.put(key, Buffer.from(key));
        this.acked[w]!.push(key);
      } catch (err) {
        if (!(err instanceof RaftKvError)) throw err;
        // An unknown outcome may still apply later; it is never retried and never required.
        if (err.outcome === 'unknown') this.unknown++;
        else this.notApplied++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  ackedCount(): number {
    return this.acked.reduce((n, a) => n + a.length, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function waitForAcks(load: WriteLoad, more: number, timeoutMs = 20_000): Promise<void> {
  const target = load.ackedCount() + more;
  const deadline = Date.now() + timeoutMs;
  while (load.ackedCount() < target) {
    if (Date.now() > deadline) throw new Error(`no progress: ${load.ackedCount()}/${target} acks`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function currentLeader(): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const n of cluster.nodes) {
      if (!n.process) continue;
      const s = await client.status(n.clientAddress).catch(() => undefined);
      if (s?.role === 'leader') return s.id;
    }
    if (Date.now() > deadline) throw new Error('no leader within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Raft under kill -9 (three processes, real fsync)', () => {
  it('keeps every acknowledged write, once and in the same order, on every node', async () => {
    const load = new WriteLoad();
    await waitForAcks(load, 50);

    for (let i = 0; i < LEADER_KILLS; i++) {
      const leader = await currentLeader();
      await cluster.kill(leader, 'SIGKILL');
      await waitForAcks(load, 20); // the survivors elect a leader and carry on
      await cluster.start(leader);
    }

    await cluster.killAll('SIGKILL');
    await cluster.startAll();
    await waitForAcks(load, 50);
    await load.stop();

    // One last write commits everything before it on a quorum; then wait for all to apply it.
    const { index } = await client.put('final', Buffer.from('final'));
    const dumps = await Promise.all(
      cluster.nodes.map((n) => client.dumpWhenApplied(n.clientAddress, index, 20_000)),
    );

    const reference = dumps[0]!.keys;
    for (const d of dumps) expect(d.keys).toEqual(reference);
    expect(new Set(reference).size).toBe(reference.length); // nothing applied twice

    const position = new Map(reference.map((k, i) => [k, i]));
    for (const keys of load.acked) {
      let last = -1;
      for (const k of keys) {
        const p = position.get(k);
        expect(p, `acknowledged write ${k} is missing`).toBeDefined();
        expect(p!, `acknowledged write ${k} is out of order`).toBeGreaterThan(last);
        last = p!;
      }
    }
    expect(load.ackedCount()).toBeGreaterThan(LEADER_KILLS * 20);
    console.log(
      JSON.stringify({
        acked: load.ackedCount(),
        unknown: load.unknown,
        notApplied: load.notApplied,
        applied: reference.length,
      }),
    );
  }, 240_000);
});
