import { rmSync } from 'node:fs';
import { EngineApiError, EngineClient, type EngineResponse } from '../api/engine.client';
import { ShoaldProcess } from '../../test/support/shoald/shoald-process';
import { poll } from '../timing';
import { type StreamTarget } from './update-stream';

/**
 * Real shoald processes on loopback for the swarm benchmark, each in a temp dir of its own
 * (state dir, socket, a free cluster port), run from the build as operators run it (the run's
 * pinned copy of it, see pinned-build.ts); and the
 * cluster-level questions the benchmark asks of them: who leads, is every manager Reachable.
 */

/** The part of a `GET /nodes` entry the benchmark reads. */
export interface NodeView {
  ID: string;
  Spec?: { Role?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** 'leader', or the manager's Reachability ('reachable', 'unreachable', …), by node ID. */
export function managerStatusById(nodes: readonly NodeView[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    if (!n.ManagerStatus) continue;
    out.set(n.ID, n.ManagerStatus.Leader ? 'leader' : (n.ManagerStatus.Reachability ?? 'unknown'));
  }
  return out;
}

/** The one leader a node list names; undefined when it names none or, oddly, several. */
export function leaderIdOf(nodes: readonly NodeView[]): string | undefined {
  const leaders = nodes.filter((n) => n.ManagerStatus?.Leader);
  return leaders.length === 1 ? leaders[0]!.ID : undefined;
}

/**
 * True when the node list shows exactly these managers, one of them the Leader and every
 * other Reachable. Only the leader's own list is worth asking: a follower reports the
 * managers it does not hear from as it last saw them.
 */
export function allManagersUp(nodes: readonly NodeView[], ids: readonly string[]): boolean {
  const status = managerStatusById(nodes);
  if (status.size !== ids.length) return false;
  let leaders = 0;
  for (const id of ids) {
    const s = status.get(id);
    if (s === 'leader') leaders++;
    else if (s !== 'reachable') return false;
  }
  return leaders === 1;
}

/** The body of `POST /swarm/join` through `via`'s cluster port. */
export function joinRequest(token: string, viaListenAddr: string): Record<string, unknown> {
  return {
    ListenAddr: '0.0.0.0:2377',
    AdvertiseAddr: '',
    RemoteAddrs: [viaListenAddr],
    JoinToken: token,
  };
}

/** How long one API request may take; above Raft's 10 s proposal timeout. */
const REQUEST_TIMEOUT_MS = 15_000;

/** One shoald process. Restartable: a restart runs a new process on the same state dir. */
export class SwarmDaemon implements StreamTarget {
  /** Its swarm node ID, once it is in a swarm (stable across restarts). */
  nodeId?: string;
  private client?: EngineClient;
  private alive = false;

  constructor(
    readonly name: string,
    readonly proc: ShoaldProcess,
  ) {}

  get listenAddr(): string {
    return this.proc.o.listenAddr;
  }

  /** Started by us and not known to have exited. */
  get running(): boolean {
    return this.alive;
  }

  async start(): Promise<void> {
    this.alive = true;
    await this.proc.start();
    this.client?.close();
    this.client = new EngineClient(this.proc.socket, {
      maxSockets: 4,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    await this.client.negotiate();
  }

  request(method: string, path: string, body?: unknown): Promise<EngineResponse> {
    if (!this.client) return Promise.reject(new Error(`${this.name} has not been started`));
    return this.client.request(method, path, body);
  }

  /** A request whose status must be one of `ok`; the parsed body. */
  async json<T>(method: string, path: string, body: unknown, ok: readonly number[]): Promise<T> {
    const res = await this.request(method, path, body);
    if (!ok.includes(res.status)) {
      throw new EngineApiError(method, path, res.status, res.text);
    }
    return res.json as T;
  }

  nodes(): Promise<NodeView[]> {
    return this.json<NodeView[]>('GET', '/nodes', undefined, [200]);
  }

  async readNodeId(): Promise<string> {
    const info = await this.json<{ Swarm?: { NodeID?: string } }>('GET', '/info', undefined, [200]);
    const id = info.Swarm?.NodeID;
    if (!id) throw new Error(`${this.name}: GET /info has no Swarm.NodeID`);
    this.nodeId = id;
    return id;
  }

  /** kill -9, and wait until the process is gone. */
  async kill9(): Promise<void> {
    this.closeClient();
    await this.proc.kill9();
    this.alive = false;
  }

  /**
   * SIGTERM, and wait for the exit (ShoaldProcess sends SIGKILL after 10 s). The exit code;
   * null means the process did not exit by itself.
   */
  async terminate(): Promise<number | null> {
    const code = await this.proc.stop();
    this.alive = false;
    this.closeClient();
    return code;
  }

  /** kill -9 and remove its temp dir. */
  async dispose(): Promise<void> {
    await this.kill9();
    await this.proc.dispose();
  }

  /** For the process `exit` hook, where nothing asynchronous runs any more. */
  disposeSync(): void {
    this.proc.killSync();
    if (this.proc.dir) rmSync(this.proc.dir, { recursive: true, force: true });
  }

  private closeClient(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/** Every daemon this run created, so that any way out of the run removes them all. */
export class DaemonSet {
  private readonly all = new Set<SwarmDaemon>();
  private readonly creating = new Set<Promise<unknown>>();
  private closed = false;

  /** `shoaldMain`: the daemon's entry point every process of the run is started from. */
  constructor(private readonly shoaldMain: string) {}

  /** A daemon in a fresh temp dir, not started yet. */
  async create(name: string): Promise<SwarmDaemon> {
    if (this.closed) throw new Error('the run is being cleaned up');
    const made = ShoaldProcess.inTempDir(`shoal-swarm-bench-${name}-`, this.shoaldMain);
    this.creating.add(made);
    try {
      const d = new SwarmDaemon(name, await made);
      this.all.add(d);
      if (this.closed) {
        await this.release(d);
        throw new Error('the run is being cleaned up');
      }
      return d;
    } finally {
      this.creating.delete(made);
    }
  }

  get size(): number {
    return this.all.size;
  }

  async release(d: SwarmDaemon): Promise<void> {
    this.all.delete(d);
    await d.dispose();
  }

  /** Kills and removes everything; `create` refuses from now on if `close`. */
  async releaseAll(close = false): Promise<void> {
    if (close) this.closed = true;
    await Promise.allSettled([...this.creating]);
    await Promise.all([...this.all].map((d) => this.release(d)));
  }

  releaseAllSync(): void {
    for (const d of this.all) d.disposeSync();
    this.all.clear();
  }
}

export interface JoinTokens {
  Worker: string;
  Manager: string;
}

/** `POST /swarm/init` on `d`, then its join tokens from `GET /swarm`. */
export async function initSwarm(d: SwarmDaemon): Promise<JoinTokens> {
  await d.json('POST', '/swarm/init', {}, [200]);
  const swarm = await d.json<{ JoinTokens?: JoinTokens }>('GET', '/swarm', undefined, [200]);
  if (!swarm.JoinTokens) throw new Error(`${d.name}: GET /swarm has no JoinTokens`);
  await d.readNodeId();
  return swarm.JoinTokens;
}

/** `POST /swarm/join` on `d` through `via`'s cluster port; the raw answer. */
export function joinVia(d: SwarmDaemon, token: string, via: SwarmDaemon): Promise<EngineResponse> {
  return d.request('POST', '/swarm/join', joinRequest(token, via.listenAddr));
}

export interface PollSettings {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
}

/** Managers of one swarm; the first one initialized it. */
export class ManagerCluster {
  constructor(readonly managers: SwarmDaemon[]) {}

  /** `n` fresh daemons: one inits, the rest join with the manager token; waits until all up. */
  static async form(set: DaemonSet, n: number, p: PollSettings): Promise<ManagerCluster> {
    const managers: SwarmDaemon[] = [];
    for (let i = 0; i < n; i++) managers.push(await set.create(`m${i}`));
    await Promise.all(managers.map((m) => m.start()));
    const tokens = await initSwarm(managers[0]!);
    for (const m of managers.slice(1)) {
      const res = await joinVia(m, tokens.Manager, managers[0]!);
      if (res.status !== 200) throw new EngineApiError('POST', '/swarm/join', res.status, res.text);
      await m.readNodeId();
    }
    const cluster = new ManagerCluster(managers);
    await cluster.waitAllUp(p);
    return cluster;
  }

  get ids(): string[] {
    return this.managers.map((m) => m.nodeId!);
  }

  byNodeId(id: string): SwarmDaemon | undefined {
    return this.managers.find((m) => m.nodeId === id);
  }

  /**
   * The leader, as the running managers see it: the first one that answers names it, and
   * the named manager's own list must name itself.
   */
  leader(p: PollSettings): Promise<SwarmDaemon> {
    return poll(
      'finding the leader',
      async () => {
        for (const m of this.managers.filter((x) => x.running)) {
          const id = leaderIdOf(await m.nodes().catch(() => []));
          const leader = id ? this.byNodeId(id) : undefined;
          if (!leader?.running) continue;
          if (leaderIdOf(await leader.nodes()) === id) return leader;
        }
        return undefined;
      },
      p,
    );
  }

  /**
   * Until every manager runs and names the same leader, and the leader's list shows the others
   * Reachable. Resolves with the leader.
   */
  waitAllUp(p: PollSettings): Promise<SwarmDaemon> {
    return poll(
      'waiting for Leader + Reachable managers',
      async () => {
        if (!this.managers.every((m) => m.running)) return undefined;
        const views = await Promise.all(this.managers.map((m) => m.nodes()));
        const id = leaderIdOf(views[0]!);
        if (!id || views.some((v) => leaderIdOf(v) !== id)) return undefined;
        const leader = this.byNodeId(id);
        if (!leader) return undefined;
        return allManagersUp(views[this.managers.indexOf(leader)]!, this.ids) ? leader : undefined;
      },
      p,
    );
  }
}
