import { type Message, MessageType, type NodeId, type Rng } from '../core/types';
import { type Transport, type TransportHandlers } from './transport';

export interface MemoryNetworkOptions {
  /**
   * Drives drop(). Defaults to Math.random; pass the core's SeededRng for a replayable run.
   */
  rng?: Rng;
  /**
   * 'macrotask' (default) delivers on setImmediate, as a socket would, so a burst of messages
   * cannot starve timers. 'microtask' delivers before any timer fires, which suits tests that
   * run under fake timers and never advance setImmediate.
   */
  delivery?: 'macrotask' | 'microtask';
  /**
   * By default a transport only reaches peers it was told about with setPeer(), as the gRPC
   * transport does, so a driver that forgets setPeer fails in unit tests too. true routes
   * purely by id.
   */
  implicitPeers?: boolean;
}

/** A directed link (from -> to) and its loss probability. */
type LinkKey = `${NodeId}->${NodeId}`;

/**
 * An in-process network of MemoryTransports for driver and cluster tests. Messages are deep
 * copied in flight (as serialization would), delivered asynchronously, in order per link,
 * and can be dropped by isolating a node or making a link lossy.
 */
export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly isolated = new Set<NodeId>();
  private readonly lossy = new Map<LinkKey, number>();
  private readonly rng: Rng;
  private readonly schedule: (fn: () => void) => void;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private counters = { sent: 0, delivered: 0, dropped: 0 };

  constructor(readonly options: MemoryNetworkOptions = {}) {
    this.rng = options.rng ?? { intn: (n) => Math.floor(Math.random() * n) };
    this.schedule =
      options.delivery === 'microtask' ? (fn) => queueMicrotask(fn) : (fn) => setImmediate(fn);
  }

  /** The transport for `id`, created on first use and anew after the old one stopped (a restart). */
  transport(id: NodeId): MemoryTransport {
    let t = this.nodes.get(id);
    if (!t || t.stopped) {
      t = new MemoryTransport(id, this);
      this.nodes.set(id, t);
    }
    return t;
  }

  /** Cuts every link to and from `id`; senders see it as unreachable. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Undoes every isolate() and drop(). */
  heal(): void {
    this.isolated.clear();
    this.lossy.clear();
  }

  /**
   * Loses messages on the directed link from -> to with probability `prob` (1 cuts it; 0
   * restores it). Lost messages vanish silently, as on a lossy wire: no unreachable report.
   */
  drop(from: NodeId, to: NodeId, prob: number): void {
    if (!(prob >= 0 && prob <= 1)) throw new RangeError(`drop probability ${prob} not in [0, 1]`);
    if (prob === 0) this.lossy.delete(`${from}->${to}`);
    else this.lossy.set(`${from}->${to}`, prob);
  }

  /** Splits the nodes into groups that cannot reach each other (both directions cut). */
  partition(...groups: NodeId[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]) for (const b of groups[j]) this.drop(a, b, 1);
      }
    }
  }

  /** Resolves once every message sent so far has been delivered or dropped. */
  settle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): { sent: number; delivered: number; dropped: number; inFlight: number } {
    return { ...this.counters, inFlight: this.inFlight };
  }

  /** @internal Called by MemoryTransport.send for each message. */
  route(sender: MemoryTransport, msg: Message): void {
    this.counters.sent++;
    const target = this.nodes.get(msg.to);
    const known = this.options.implicitPeers || sender.knows(msg.to);
    const reachable =
      known &&
      target?.running === true &&
      !this.isolated.has(sender.id) &&
      !this.isolated.has(msg.to);
    if (!reachable) {
      this.counters.dropped++;
      sender.notify((h) => h.onUnreachable(msg.to));
      if (msg.type === MessageType.Snap) sender.notify((h) => h.onSnapshotStatus(msg.to, false));
      return;
    }
    const loss = this.lossy.get(`${sender.id}->${msg.to}`) ?? 0;
    const lost = loss > 0 && (loss >= 1 || this.rng.intn(1_000_000) < loss * 1_000_000);
    // Copy now, not at delivery: the sender may reuse or mutate its buffers right after send.
    const copy = structuredClone(msg);
    this.inFlight++;
    this.schedule(() => {
      // Conditions are checked again at delivery: a node isolated or stopped in between
      // loses what was in flight to it, as a real connection would.
      const delivered =
        !lost && target.running && !this.isolated.has(sender.id) && !this.isolated.has(copy.to);
      try {
        if (delivered) {
          this.counters.delivered++;
          target.deliver(copy);
        } else {
          this.counters.dropped++;
        }
        if (copy.type === MessageType.Snap) {
          sender.notify((h) => h.onSnapshotStatus(copy.to, delivered));
        }
      } finally {
        // A throwing handler still surfaces (as an uncaught error) but must not wedge settle().
        this.inFlight--;
        if (this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    });
  }
}

/** One node's endpoint on a MemoryNetwork. Create through MemoryNetwork.transport(id). */
export class MemoryTransport implements Transport {
  private handlers: TransportHandlers | undefined;
  private readonly peers = new Map<NodeId, string>();
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(
    readonly id: NodeId,
    private readonly network: MemoryNetwork,
  ) {}

  get running(): boolean {
    return this.state === 'running';
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Addresses given to setPeer, for tests that check the driver's bookkeeping. */
  get peerAddresses(): ReadonlyMap<NodeId, string> {
    return this.peers;
  }

  start(handlers: TransportHandlers): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new Error(`cannot start when ${this.state}`));
    this.handlers = handlers;
    this.state = 'running';
    return Promise.resolve();
  }

  send(messages: Message[]): void {
    if (this.state !== 'running') return;
    for (const m of messages) this.network.route(this, m);
  }

  setPeer(id: NodeId, address: string): void {
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  stop(): Promise<void> {
    this.state = 'stopped';
    this.handlers = undefined;
    return Promise.resolve();
  }

  /** @internal */
  knows(peer: NodeId): boolean {
    return this.peers.has(peer);
  }

  /** @internal */
  deliver(msg: Message): void {
    this.handlers?.onMessage(msg);
  }

  /** @internal Reports back to this node's driver asynchronously, as the gRPC transport does. */
  notify(fn: (h: TransportHandlers) => void): void {
    queueMicrotask(() => {
      if (this.handlers) fn(this.handlers);
    });
  }
}
