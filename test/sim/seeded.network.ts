import { type SeededRng } from '@shoal/raft/core/rng';
import { type Message, MessageType, type NodeId } from '@shoal/raft/core/types';
import { type EventQueue } from './event.queue';

export interface NetworkFaults {
  /** Probability a message is lost. */
  dropRate: number;
  /** Probability a message is delivered twice (each copy with its own delay). */
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability of an outlier delay of up to `longDelayMs`: the usual source of reordering. */
  longDelayRate: number;
  longDelayMs: number;
}

export const RELIABLE_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minDelayMs: 1,
  maxDelayMs: 5,
  longDelayRate: 0,
  longDelayMs: 5,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cutByPartition: number;
  toDeadNode: number;
}

/** What the network needs to know about nodes without depending on how they are built. */
export interface NetworkHost {
  /** Changes every time the node crashes: a message addressed to an older epoch is lost. */
  epochOf(id: NodeId): number;
  isUp(id: NodeId): boolean;
  deliver(msg: Message): void;
  /**
   * What a real transport learns about its own sends: a MsgSnap stream finished or failed,
   * a connection to a peer was refused. Always called from a fresh event, never while the
   * sender is inside its Ready loop.
   */
  snapshotOutcome(from: NodeId, to: NodeId, ok: boolean, senderEpoch: number): void;
  unreachable(from: NodeId, to: NodeId): void;
}

/**
 * A lossy, reordering, duplicating, partitionable network. Every decision comes from the
 * run's SeededRng, and deliveries are events on the virtual clock, so it replays exactly.
 *
 * Partitions are checked both when a message is sent and when it arrives: a message already
 * in flight when the cut happens is lost too, as it would be on a real link.
 */
export class SeededNetwork {
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    cutByPartition: 0,
    toDeadNode: 0,
  };
  /** Directed links that are down, as "from>to". Empty when healed. */
  private cut = new Set<string>();

  constructor(
    private readonly rng: SeededRng,
    private readonly queue: EventQueue,
    private readonly host: NetworkHost,
    public faults: NetworkFaults,
  ) {}

  /** Nodes in different groups cannot talk, in either direction. Replaces any earlier cut. */
  partition(groups: NodeId[][]): void {
    this.cut = new Set();
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`);
      }
    }
  }

  /**
   * Messages from `from` to `to` are lost; the reverse direction still works (a half-broken
   * NIC, a one-way firewall rule). Replaces any earlier cut.
   */
  oneWay(from: NodeId[], to: NodeId[]): void {
    this.cut = new Set();
    for (const x of from) for (const y of to) if (x !== y) this.cut.add(`${x}>${y}`);
  }

  heal(): void {
    this.cut = new Set();
  }

  get partitioned(): boolean {
    return this.cut.size > 0;
  }

  describePartition(): string {
    return this.partitioned ? [...this.cut].sort().join(' ') : 'healed';
  }

  canReach(from: NodeId, to: NodeId): boolean {
    return this.cut.size === 0 || !this.cut.has(`${from}>${to}`);
  }

  send(msg: Message): void {
    this.stats.sent++;
    const isSnap = msg.type === MessageType.Snap;
    if (!this.canReach(msg.from, msg.to) || !this.host.isUp(msg.to)) {
      if (this.canReach(msg.from, msg.to)) this.stats.toDeadNode++;
      else this.stats.cutByPartition++;
      // Only appends care (the leader falls back to probing); one event per heartbeat
      // into a partition would just slow the run down.
      if (msg.type === MessageType.App) {
        this.queue.schedule(0, `unreachable ${msg.from}->${msg.to}`, () =>
          this.host.unreachable(msg.from, msg.to),
        );
      }
      if (isSnap) this.reportSnapshot(msg, false, this.delay());
      return;
    }
    if (this.rng.next() < this.faults.dropRate) {
      this.stats.dropped++;
      // A lost snapshot stream fails visibly at the sender; a lost datagram does not.
      if (isSnap) this.reportSnapshot(msg, false, this.delay());
      return;
    }
    this.dispatch(msg, isSnap);
    if (this.rng.next() < this.faults.duplicateRate) {
      this.stats.duplicated++;
      this.dispatch(msg, false);
    }
  }

  private reportSnapshot(msg: Message, ok: boolean, delay: number): void {
    const senderEpoch = this.host.epochOf(msg.from);
    this.queue.schedule(delay, `snapshot-status ${msg.from}->${msg.to} ${ok}`, () =>
      this.host.snapshotOutcome(msg.from, msg.to, ok, senderEpoch),
    );
  }

  private delay(): number {
    const f = this.faults;
    if (this.rng.next() < f.longDelayRate) return f.minDelayMs + this.rng.intn(f.longDelayMs + 1);
    return f.minDelayMs + this.rng.intn(Math.max(1, f.maxDelayMs - f.minDelayMs + 1));
  }

  private dispatch(msg: Message, reportOutcome: boolean): void {
    const epoch = this.host.epochOf(msg.to);
    // Each copy is independent: a receiver must never share mutable arrays with the sender
    // or with another copy of the same message.
    const copy: Message = { ...msg, entries: msg.entries.map((e) => ({ ...e })) };
    const label = `deliver ${MessageType[msg.type]} ${msg.from}->${msg.to} t${msg.term} i${msg.index} n${msg.entries.length}`;
    this.queue.schedule(this.delay(), label, () => {
      if (!this.host.isUp(msg.to) || this.host.epochOf(msg.to) !== epoch) {
        this.stats.toDeadNode++;
        if (reportOutcome) this.reportSnapshot(msg, false, 0);
        return;
      }
      if (!this.canReach(msg.from, msg.to)) {
        this.stats.cutByPartition++;
        if (reportOutcome) this.reportSnapshot(msg, false, 0);
        return;
      }
      this.stats.delivered++;
      this.host.deliver(copy);
      if (reportOutcome) this.reportSnapshot(msg, true, 0);
    });
  }
}
