/**
 * Test support: an in-memory cluster of RaftNodes with a deterministic, controllable network.
 * Only spec/test files may import this.
 *
 * Each node runs the standard driver loop synchronously (persist to its MemoryStorage, queue
 * messages, apply committed entries to a tiny string-list state machine, advance). Messages are
 * delivered in FIFO order; links can be cut, nodes isolated, and messages dropped by predicate.
 */
import { decodeConfChange } from '../conf-change.codec';
import { MemoryStorage } from '../memory-storage';
import { type RaftConfig } from '../raft-config';
import { RaftNode, type RaftStatus } from '../raft-node';
import { SeededRng } from '../rng';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  type ReadState,
  type Ready,
  type Rng,
  Role,
} from '../types';

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>>;

export interface NetworkOptions {
  seed?: number;
  /** Config applied to every node (overridable per node in addNode). */
  config?: NodeOptions;
  /** Bootstrapped as learners alongside the voters. */
  learners?: NodeId[];
}

/** The replicated state machine each test node runs: an append-only list of strings. */
export interface AppliedState {
  data: string[];
  index: number;
  confState: ConfState;
  /** Every committed entry applied, in order (including empty and conf-change entries). */
  entries: Entry[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function text(b: Uint8Array): string {
  return dec.decode(b);
}

export class Network {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly state = new Map<NodeId, AppliedState>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Every message any node emitted, in order, whether or not it was delivered. */
  readonly sent: Message[] = [];
  /** Every Ready handled, per node (handy for asserting mustSync, softState...). */
  readonly readies = new Map<NodeId, Ready[]>();
  queue: Message[] = [];
  /**
   * Optional disorder: with an rng set, each delivery batch is shuffled (reorder) and each
   * message is delivered twice with probability duplicatePercent/100.
   */
  disorder: { rng: Rng; reorder: boolean; duplicatePercent: number } | undefined;

  private readonly crashed = new Set<NodeId>();
  private readonly isolated = new Set<NodeId>();
  private readonly cuts = new Set<string>();
  private drops: ((m: Message) => boolean)[] = [];
  private readonly nodeOptions = new Map<NodeId, NodeOptions>();
  private seedCounter: number;

  constructor(private readonly opts: NetworkOptions = {}) {
    this.seedCounter = opts.seed ?? 1;
  }

  /** A bootstrapped cluster: all `ids` are voters (plus opts.learners), all share one config. */
  static create(ids: NodeId[], opts: NetworkOptions = {}): Network {
    const net = new Network(opts);
    const learners = opts.learners ?? [];
    for (const id of [...ids, ...learners]) {
      const storage = new MemoryStorage();
      RaftNode.bootstrapStorage(storage, ids, learners);
      net.addNode(id, { storage });
    }
    return net;
  }

  /** Adds a node. Without a storage it starts empty, like a member joining a running cluster. */
  addNode(id: NodeId, o: { storage?: MemoryStorage; config?: NodeOptions } = {}): RaftNode {
    const storage = o.storage ?? new MemoryStorage();
    this.storages.set(id, storage);
    this.nodeOptions.set(id, o.config ?? {});
    const snap = storage.snapshot();
    this.state.set(id, {
      data: decodeSmSnapshot(snap.data),
      index: snap.metadata.index,
      confState: snap.metadata.confState,
      entries: [],
    });
    this.readStates.set(id, []);
    this.readies.set(id, []);
    return this.start(id);
  }

  private start(id: NodeId): RaftNode {
    const node = new RaftNode({
      ...this.opts.config,
      ...this.nodeOptions.get(id),
      id,
      storage: this.storages.get(id)!,
      rng: new SeededRng(this.seedCounter++),
      applied: this.state.get(id)!.index,
    });
    this.nodes.set(id, node);
    this.crashed.delete(id);
    return node;
  }

  node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()].sort();
  }

  /** Stops a node: its queued messages are lost; storage and applied state survive. */
  crash(id: NodeId): void {
    this.crashed.add(id);
    this.queue = this.queue.filter((m) => m.from !== id && m.to !== id);
  }

  /** Restarts a crashed node from its storage. */
  restart(id: NodeId): RaftNode {
    return this.start(id);
  }

  isUp(id: NodeId): boolean {
    return this.nodes.has(id) && !this.crashed.has(id);
  }

  /** Drops everything to and from `id` until heal(). */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Drops messages between a and b (both directions) until heal(). */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}\u0000${b}`);
    this.cuts.add(`${b}\u0000${a}`);
  }

  /** Drops messages matching the predicate until the returned function is called or heal(). */
  drop(pred: (m: Message) => boolean): () => void {
    this.drops.push(pred);
    return () => {
      this.drops = this.drops.filter((p) => p !== pred);
    };
  }

  heal(): void {
    this.isolated.clear();
    this.cuts.clear();
    this.drops = [];
  }

  private blocked(m: Message): boolean {
    if (!this.isUp(m.to) || !this.isUp(m.from)) return true;
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return true;
    if (this.cuts.has(`${m.from}\u0000${m.to}`)) return true;
    return this.drops.some((p) => p(m));
  }

  /** Runs one driver iteration for `id` if it has a Ready. */
  process(id: NodeId): boolean {
    if (!this.isUp(id)) return false;
    const node = this.node(id);
    if (!node.hasReady()) return false;
    const rd = node.ready();
    this.readies.get(id)!.push(rd);
    const storage = this.storages.get(id)!;
    const st = this.state.get(id)!;
    if (rd.snapshot) {
      storage.applySnapshot(rd.snapshot);
      st.data = decodeSmSnapshot(rd.snapshot.data);
      st.index = rd.snapshot.metadata.index;
      st.confState = rd.snapshot.metadata.confState;
    }
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    for (const m of rd.messages) {
      this.sent.push(m);
      this.queue.push(structuredClone(m));
    }
    for (const e of rd.committedEntries) {
      if (e.index <= st.index) continue;
      if (e.index !== st.index + 1) throw new Error(`${id}: applying ${e.index} after ${st.index}`);
      if (e.type === EntryType.ConfChange) {
        st.confState = node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.byteLength > 0) {
        st.data.push(text(e.data));
      }
      st.entries.push(e);
      st.index = e.index;
    }
    this.readStates.get(id)!.push(...rd.readStates);
    node.advance();
    return true;
  }

  /** Delivers every queued message that is not blocked; returns how many were delivered. */
  deliver(): number {
    let batch = this.queue;
    this.queue = [];
    if (this.disorder) batch = this.disorderly(batch, this.disorder);
    let n = 0;
    for (const m of batch) {
      const blocked = this.blocked(m);
      if (m.type === MessageType.Snap && this.isUp(m.from)) {
        // What a real transport does once the snapshot stream ends.
        this.node(m.from).reportSnapshot(m.to, !blocked);
      }
      if (blocked) continue;
      this.node(m.to).step(m);
      n++;
    }
    return n;
  }

  private disorderly(
    batch: Message[],
    d: { rng: Rng; reorder: boolean; duplicatePercent: number },
  ): Message[] {
    const out: Message[] = [];
    for (const m of batch) {
      out.push(m);
      if (d.duplicatePercent > 0 && d.rng.intn(100) < d.duplicatePercent) {
        out.push(structuredClone(m));
      }
    }
    if (d.reorder) {
      for (let i = out.length - 1; i > 0; i--) {
        const j = d.rng.intn(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
    }
    return out;
  }

  /** Processes and delivers until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      let moved = false;
      for (const id of this.ids()) if (this.process(id)) moved = true;
      if (this.deliver() > 0) moved = true;
      if (!moved && this.queue.length === 0) return;
    }
    throw new Error('network did not stabilize');
  }

  /** Ticks every live node `n` times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of this.ids()) if (this.isUp(id)) this.node(id).tick();
      this.stabilize();
    }
  }

  /** Ticks one node `n` times, stabilizing after each tick. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).tick();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, data: string): { index: number; term: number } | null {
    const r = this.node(id).propose(bytes(data));
    this.stabilize();
    return r;
  }

  proposeConfChange(id: NodeId, cc: Omit<ConfChange, 'context'>): void {
    this.node(id).proposeConfChange({ ...cc, context: new Uint8Array(0) });
    this.stabilize();
  }

  status(id: NodeId): RaftStatus {
    return this.node(id).status();
  }

  /** The live leader with the highest term, if any. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const id of this.ids()) {
      if (!this.isUp(id)) continue;
      const s = this.status(id);
      if (s.softState.role !== Role.Leader) continue;
      if (!best || s.hardState.term > best.term) best = { id, term: s.hardState.term };
    }
    return best?.id;
  }

  /** Applied user data on `id`. */
  data(id: NodeId): string[] {
    return this.state.get(id)!.data;
  }

  /** The whole stable log of `id` (entries after its snapshot). */
  log(id: NodeId): Entry[] {
    const s = this.storages.get(id)!;
    return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
  }

  /** Snapshots `id`'s state machine at its applied index and compacts its log up to there. */
  compact(id: NodeId): number {
    const st = this.state.get(id)!;
    const storage = this.storages.get(id)!;
    storage.createSnapshot(st.index, st.confState, encodeSmSnapshot(st.data));
    storage.compact(st.index);
    return st.index;
  }
}

function encodeSmSnapshot(data: string[]): Uint8Array {
  return enc.encode(JSON.stringify(data));
}

function decodeSmSnapshot(b: Uint8Array): string[] {
  return b.byteLength === 0 ? [] : (JSON.parse(dec.decode(b)) as string[]);
}
