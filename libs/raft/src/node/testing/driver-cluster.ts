import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Entry, type NodeId } from '../../core/types';
import { MemoryNetwork } from '../../transport/memory.transport';
import { type RaftDriverOptions } from '../driver.options';
import { RaftDriver } from '../raft.driver';
import { type StateMachine } from '../state-machine';

/** An ordered list of applied payloads: enough to compare replicas exactly. */
export class ListStateMachine implements StateMachine {
  items: string[] = [];
  apply(entries: Entry[]): void {
    for (const e of entries) this.items.push(Buffer.from(e.data).toString('utf8'));
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.items));
  }
  restore(data: Uint8Array): void {
    this.items = data.length ? (JSON.parse(Buffer.from(data).toString('utf8')) as string[]) : [];
  }
}

/** Several drivers on one MemoryNetwork, each with a real data dir (fsync off for speed). */
export class DriverCluster {
  readonly net = new MemoryNetwork();
  readonly drivers = new Map<NodeId, RaftDriver>();
  readonly machines = new Map<NodeId, ListStateMachine>();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-driver-'));

  constructor(
    readonly ids: NodeId[],
    private readonly overrides: Partial<RaftDriverOptions> = {},
  ) {}

  async start(id: NodeId, opts: { bootstrap?: boolean } = {}): Promise<RaftDriver> {
    const sm = new ListStateMachine();
    const driver = await RaftDriver.start({
      id,
      dataDir: path.join(this.dir, id),
      transport: this.net.transport(id),
      stateMachine: sm,
      bootstrap: opts.bootstrap === false ? undefined : this.members(),
      peers: this.members(),
      tickMs: 10,
      fsync: false,
      ...this.overrides,
    });
    this.drivers.set(id, driver);
    this.machines.set(id, sm);
    return driver;
  }

  private members() {
    return this.ids.map((i) => ({ id: i, address: `mem:${i}` }));
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  async stop(id: NodeId, opts?: { transferLeadership?: boolean }): Promise<void> {
    await this.drivers.get(id)?.stop(opts);
    this.drivers.delete(id);
  }

  leader(): RaftDriver | undefined {
    return [...this.drivers.values()].find((d) => d.isLeader());
  }

  async waitForLeader(timeoutMs = 5_000): Promise<RaftDriver> {
    await waitUntil(() => this.leader() !== undefined, timeoutMs, 'a leader');
    return this.leader()!;
  }

  /** A running follower that already knows `leader`. */
  async followerOf(leader: RaftDriver, timeoutMs = 5_000): Promise<RaftDriver> {
    const follower = [...this.drivers.values()].find((d) => d !== leader);
    if (!follower) throw new Error('no follower is running');
    await waitUntil(
      () => follower.leaderId() === leader.id,
      timeoutMs,
      'a follower to learn the leader',
    );
    return follower;
  }

  async destroy(): Promise<void> {
    for (const id of [...this.drivers.keys()]) await this.stop(id, { transferLeadership: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls a condition; the bound only turns a hang into a clear failure. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
