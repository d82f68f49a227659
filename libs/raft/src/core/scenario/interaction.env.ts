/**
 * The world an interaction script runs in: a handful of RaftNodes, each with its own
 * MemoryStorage (its "disk") and a tiny state machine, a mailbox per node, and a network
 * that can isolate or partition nodes. Nothing happens unless a command asks for it, so a
 * script decides every interleaving and the output is the same on every run.
 *
 * Unlike testing/network.ts (which hides the driver loop so unit tests stay short), this
 * environment prints every step the driver takes, because the printed trace *is* the
 * evidence the scripts exist to show.
 */
import { decodeConfChange } from '../conf-change.codec';
import { MemoryStorage } from '../memory-storage';
import { RaftNode } from '../raft-node';
import { ProposalDroppedError } from '../storage';
import {
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  NONE,
  type RaftLogger,
  type Ready,
  type Rng,
  type Snapshot,
} from '../types';
import {
  compareIds,
  formatConfState,
  formatEntry,
  formatFields,
  formatMessage,
  formatReadyHead,
  formatSnapshot,
  formatStatus,
} from './interaction.format';

export interface NodeConfig {
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  maxUncommittedBytes?: number;
}

export type LogLevel = 'none' | 'warn' | 'info' | 'debug';
const LEVELS: Record<LogLevel, number> = { none: 0, warn: 1, info: 2, debug: 3 };

/** A mistake in how a script uses the environment (not a Raft outcome). */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** The replicated state machine: an append-only list of the strings proposed. */
interface StateMachine {
  index: number;
  data: string[];
  confState: ConfState;
}

interface Envelope {
  msg: Message;
  /**
   * The node whose Ready emitted the message. Usually msg.from, but a follower forwarding a
   * MsgTransferLeader keeps the transferee as `from`; the network must judge the real link.
   */
  sender: NodeId;
}

interface SimNode {
  id: NodeId;
  storage: MemoryStorage;
  cfg: NodeConfig;
  /** Undefined while crashed. */
  raft: RaftNode | undefined;
  sm: StateMachine;
  inbox: Envelope[];
}

/**
 * Every node's randomized election timeout is pinned to exactly electionTick. Randomization
 * only decides *which* node times out first; scripts decide that explicitly (by ticking a
 * chosen node), and in exchange `tick-election` means precisely "one election timeout
 * passes", which the check-quorum, lease and transfer scripts depend on. Still deterministic
 * and seed-free, so output cannot drift between runs.
 */
const pinnedTimeoutRng: Rng = { intn: () => 0 };

const enc = new TextEncoder();
const dec = new TextDecoder();

export class InteractionEnv {
  private readonly nodes = new Map<NodeId, SimNode>();
  private out: string[] = [];
  private indent = '';
  logLevel: LogLevel = 'warn';
  private readonly isolated = new Set<NodeId>();
  /** Partition group per node; undefined means no partition. */
  private groups: Map<NodeId, number> | undefined;

  /** Everything printed since the last call. */
  takeOutput(): string {
    const s = this.out.filter((l) => l.trim() !== '').join('\n');
    this.out = [];
    return s;
  }

  print(line: string): void {
    this.out.push(this.indent + line);
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()].sort(compareIds);
  }

  config(id: NodeId): NodeConfig {
    return this.sim(id).cfg;
  }

  /** The live RaftNode of `id`; scripts may not poke a crashed node. */
  raft(id: NodeId): RaftNode {
    const n = this.sim(id);
    if (!n.raft) throw new EnvError(`node ${id} is crashed`);
    return n.raft;
  }

  private sim(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new EnvError(`no node ${id}`);
    return n;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Adds and starts a node on the given storage (empty storage: a node joining later). */
  addNode(id: NodeId, storage: MemoryStorage, cfg: NodeConfig): void {
    if (this.nodes.has(id)) throw new EnvError(`node ${id} already exists`);
    const n: SimNode = {
      id,
      storage,
      cfg,
      raft: undefined,
      sm: smFromSnapshot(storage),
      inbox: [],
    };
    this.nodes.set(id, n);
    this.start(n);
  }

  /** Loses everything not on "disk": the RaftNode, its mailbox and its state machine. */
  crash(id: NodeId): void {
    const n = this.sim(id);
    if (!n.raft) throw new EnvError(`node ${id} is already crashed`);
    n.raft = undefined;
    n.inbox = [];
  }

  /**
   * Starts a crashed node again from its MemoryStorage. The state machine is rebuilt from
   * the storage's snapshot, so committed entries after it are applied again (as a real
   * driver without a durable state machine would).
   */
  restart(id: NodeId): void {
    const n = this.sim(id);
    if (n.raft) throw new EnvError(`node ${id} is running; crash it first`);
    n.sm = smFromSnapshot(n.storage);
    this.start(n);
  }

  private start(n: SimNode): void {
    n.raft = new RaftNode({
      id: n.id,
      storage: n.storage,
      applied: n.sm.index,
      electionTick: n.cfg.electionTick,
      heartbeatTick: n.cfg.heartbeatTick,
      preVote: n.cfg.preVote,
      checkQuorum: n.cfg.checkQuorum,
      ...(n.cfg.maxSizePerMsg !== undefined ? { maxSizePerMsg: n.cfg.maxSizePerMsg } : {}),
      ...(n.cfg.maxInflightMsgs !== undefined ? { maxInflightMsgs: n.cfg.maxInflightMsgs } : {}),
      ...(n.cfg.maxUncommittedBytes !== undefined
        ? { maxUncommittedBytes: n.cfg.maxUncommittedBytes }
        : {}),
      rng: pinnedTimeoutRng,
      logger: this.loggerFor(n.id),
    });
  }

  /**
   * Replaces `id`'s log after its snapshot with entries of the given terms (empty data), as
   * if it had been written by earlier leaders, and restarts the node on it. This is how the
   * figure-7 and figure-8 scripts set up histories that would take many steps to produce.
   * The stored term is raised to at least the last entry's term, as it must be on any real
   * node; `term`/`commit` override the HardState.
   */
  setLog(id: NodeId, terms: number[], opts: { term?: number; commit?: number }): void {
    const n = this.sim(id);
    const snap = n.storage.snapshot().metadata;
    let prev = snap.term;
    const ents: Entry[] = terms.map((term, i) => {
      if (term < prev) throw new EnvError(`set-log: terms must not decrease (${term} < ${prev})`);
      prev = term;
      return { term, index: snap.index + 1 + i, type: EntryType.Normal, data: new Uint8Array(0) };
    });
    // Re-applying the current snapshot empties the log after it; then write the new entries.
    n.storage.applySnapshot(n.storage.snapshot());
    n.storage.append(ents);
    const hs = n.storage.initialState().hardState;
    const term = Math.max(hs.term, prev, opts.term ?? 0);
    const commit = opts.commit ?? Math.min(hs.commit, n.storage.lastIndex());
    n.storage.setHardState({ term, vote: term === hs.term ? hs.vote : NONE, commit });
    n.raft = undefined;
    n.inbox = [];
    n.sm = smFromSnapshot(n.storage);
    this.start(n);
  }

  /** Snapshots `id`'s state machine (at its applied index) and discards its log up to `index`. */
  compact(id: NodeId, index: number): void {
    const n = this.sim(id);
    if (index > n.sm.index) {
      throw new EnvError(`compact: ${index} is beyond ${id}'s applied index ${n.sm.index}`);
    }
    if (n.storage.snapshot().metadata.index < n.sm.index) {
      n.storage.createSnapshot(n.sm.index, n.sm.confState, enc.encode(JSON.stringify(n.sm.data)));
    }
    n.storage.compact(index);
  }

  // ---- network ---------------------------------------------------------------------------

  isolate(id: NodeId): void {
    this.sim(id);
    this.isolated.add(id);
  }

  /** Messages cross group boundaries are lost; a node in no group is alone. */
  partition(groups: NodeId[][]): void {
    const m = new Map<NodeId, number>();
    groups.forEach((g, i) => {
      for (const id of g) {
        this.sim(id);
        if (m.has(id)) throw new EnvError(`partition: ${id} is in two groups`);
        m.set(id, i);
      }
    });
    this.groups = m;
  }

  heal(): void {
    this.isolated.clear();
    this.groups = undefined;
  }

  /** Why a message from `from` to `to` would be lost right now, if it would. */
  private blocked(from: NodeId, to: NodeId): string | undefined {
    if (!this.nodes.get(to)?.raft) return `${to} is down`;
    if (this.isolated.has(from) || this.isolated.has(to)) return 'isolated';
    if (this.groups) {
      const a = this.groups.get(from) ?? `alone:${from}`;
      const b = this.groups.get(to) ?? `alone:${to}`;
      if (a !== b) return 'partitioned';
    }
    return undefined;
  }

  // ---- the driver loop -------------------------------------------------------------------

  /**
   * One iteration of the driver loop on `id`, in the order Ready requires: persist (snapshot,
   * entries, HardState), send, apply, advance. Returns false if there was nothing to do.
   */
  processReady(id: NodeId): boolean {
    const n = this.sim(id);
    const raft = n.raft;
    if (!raft || !raft.hasReady()) return false;
    const rd = raft.ready();
    // MustSync: this Ready changes term, vote or the log, so it must be fsynced before sending.
    this.print(`> ${id} handling Ready${rd.mustSync ? ' (MustSync)' : ''}`);
    this.indent = '  ';
    try {
      this.persist(n, rd);
      for (const m of rd.messages) this.send(n, m);
      this.apply(n, raft, rd);
      for (const rs of rd.readStates) {
        this.print(`ReadState Index:${rs.index} Ctx:${JSON.stringify(dec.decode(rs.requestCtx))}`);
      }
      raft.advance();
    } finally {
      this.indent = '';
    }
    return true;
  }

  private persist(n: SimNode, rd: Ready): void {
    for (const l of formatReadyHead(rd)) this.print(l);
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
  }

  /**
   * Puts a message on the wire. It is lost if the link is cut now (checked here, so traffic
   * sent during a partition never lingers to be delivered after heal) or when it would be
   * delivered (checked in deliver, for messages in flight when the link is cut).
   */
  private send(n: SimNode, m: Message): void {
    const dest = this.nodes.get(m.to);
    const why = dest ? this.blocked(n.id, m.to) : `no node ${m.to}`;
    this.print(`Send ${formatMessage(m)}${why ? ` (dropped: ${why})` : ''}`);
    if (!dest || why) {
      if (m.type === MessageType.Snap) this.reportSnapshot(m, false);
      return;
    }
    // A copy, so nothing the receiver does can alias the sender's entries.
    dest.inbox.push({ msg: structuredClone(m), sender: n.id });
  }

  private apply(n: SimNode, raft: RaftNode, rd: Ready): void {
    if (rd.snapshot) {
      n.sm = smFromSnapshot(rd.snapshot);
      // The data shows the state machine travelled with the snapshot, not just the log.
      this.print(`Apply snapshot ${formatSnapshot(rd.snapshot)} Data:${JSON.stringify(n.sm.data)}`);
    }
    for (const e of rd.committedEntries) {
      if (e.index <= n.sm.index) continue;
      if (e.index !== n.sm.index + 1) {
        throw new Error(`${n.id}: asked to apply ${e.index} after ${n.sm.index}`);
      }
      this.print(`Apply ${formatEntry(e)}`);
      if (e.type === EntryType.ConfChange) {
        n.sm.confState = raft.applyConfChange(decodeConfChange(e.data));
        this.print(`ConfState ${formatConfState(n.sm.confState)}`);
      } else if (e.data.byteLength > 0) {
        n.sm.data.push(dec.decode(e.data));
      }
      n.sm.index = e.index;
    }
  }

  /** Delivers (or loses) the messages waiting for `id` that match `filter`. */
  deliver(id: NodeId, filter?: (m: Message) => boolean, drop = false): boolean {
    const n = this.sim(id);
    const batch = n.inbox.filter((e) => !filter || filter(e.msg));
    if (batch.length === 0) return false;
    n.inbox = n.inbox.filter((e) => filter && !filter(e.msg));
    this.print(`> ${id} receiving messages`);
    this.indent = '  ';
    try {
      for (const { msg, sender } of batch) {
        const why = drop ? 'by script' : this.blocked(sender, id);
        this.print(formatMessage(msg) + (why ? ` (dropped: ${why})` : ''));
        if (!why) this.raft(id).step(msg);
        if (msg.type === MessageType.Snap) this.reportSnapshot(msg, !why);
      }
    } finally {
      this.indent = '';
    }
    return true;
  }

  /** What a real transport does once a snapshot stream ends: tell the leader how it went. */
  private reportSnapshot(m: Message, ok: boolean): void {
    const leader = this.nodes.get(m.from)?.raft;
    if (!leader) return;
    this.print(
      `(transport reports to ${m.from}: snapshot to ${m.to} ${ok ? 'delivered' : 'failed'})`,
    );
    leader.reportSnapshot(m.to, ok);
  }

  pending(id: NodeId): number {
    return this.sim(id).inbox.length;
  }

  /**
   * Runs the driver loop on `ids` (default: every node) until nothing moves: all Readies
   * handled, all mailboxes empty. Nodes outside `ids` neither act nor receive.
   */
  stabilize(ids?: NodeId[]): void {
    const targets = ids ?? this.ids();
    for (const id of targets) this.sim(id);
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const id of targets) if (this.processReady(id)) moved = true;
      for (const id of targets) if (this.deliver(id)) moved = true;
      if (!moved) return;
    }
    throw new Error('stabilize: no quiescence after 1000 rounds (livelock?)');
  }

  // ---- inspection ------------------------------------------------------------------------

  status(id: NodeId): string[] {
    return formatStatus(this.raft(id).status());
  }

  /** The log as stored on `id`'s disk: its snapshot, then every persisted entry. */
  raftLog(id: NodeId): string[] {
    const s = this.sim(id).storage;
    const snap = s.snapshot().metadata;
    const out = [`snapshot ${snap.term}/${snap.index} ${formatConfState(snap.confState)}`];
    for (const e of s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity)) {
      out.push(formatEntry(e));
    }
    const hs = s.initialState().hardState;
    out.push(
      `HardState Term:${hs.term} Vote:${hs.vote === NONE ? '-' : hs.vote} Commit:${hs.commit}`,
    );
    return out;
  }

  /** The applied user data on `id`, to show every node ends with the same state machine. */
  appliedData(id: NodeId): { index: number; data: string[] } {
    const sm = this.sim(id).sm;
    return { index: sm.index, data: [...sm.data] };
  }

  /**
   * Runs a call on a node, turning a refused request (ProposalDroppedError) into a printed
   * outcome: refusals are often exactly what a script means to show.
   */
  tryOn<T>(id: NodeId, fn: (r: RaftNode) => T): T | undefined {
    try {
      return fn(this.raft(id));
    } catch (e) {
      if (e instanceof ProposalDroppedError) {
        this.print(`refused: ${e.message.replace(/^raft proposal dropped: /, '')}`);
        return undefined;
      }
      throw e;
    }
  }

  private loggerFor(id: NodeId): RaftLogger {
    const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
      if (LEVELS[level] > LEVELS[this.logLevel]) return;
      this.print(`${id} ${level.toUpperCase()} ${msg}${formatFields(fields)}`);
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
    };
  }
}

function smFromSnapshot(source: MemoryStorage | Snapshot): StateMachine {
  const snap = source instanceof MemoryStorage ? source.snapshot() : source;
  const { index, confState } = snap.metadata;
  const data = snap.data.byteLength === 0 ? [] : (JSON.parse(dec.decode(snap.data)) as string[]);
  return {
    index,
    data,
    confState: { voters: [...confState.voters], learners: [...confState.learners] },
  };
}
