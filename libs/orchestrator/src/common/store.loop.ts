import type { Clock, IdGenerator, Logger } from '@shoal/common';
import { type ReadTx, type StoreChangeEvent, type StoreEvent, type WriteTx } from '@shoal/store';
import { type OrchestratedNode, type OrchestratedService } from '../replicated/replicated.types';
import { yieldToEventLoop, type YieldToEventLoop } from './event-loop.yield';
import { type OrchestratorStore } from './orchestrator.types';

/** Failures in a row retried at once (the next commit or tick), as conflicts are transient. */
const FREE_RETRIES = 3;
const BACKOFF_BASE_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** What every leader-side loop over services is built with. */
export interface StoreLoopOptions {
  store: OrchestratorStore;
  clock: Clock;
  /** IDs of new tasks. Default: the store assigns them. */
  newId?: IdGenerator;
  logger?: Logger;
  /** Run between two services' builds. Default: one setImmediate turn; see YieldToEventLoop. */
  yieldToEventLoop?: YieldToEventLoop;
  /** Proposals of one pass awaiting their commit at once. Default DEFAULT_MAX_IN_FLIGHT. */
  maxProposalsInFlight?: number;
}

/**
 * 64 transactions of at most 512 KiB stay under half of Raft's maxUncommittedBytes (64 MiB),
 * so one pass cannot get its own proposals refused; a pass over more services waits for the
 * earliest commits before proposing further.
 */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** What one service's write tells the loop, taken in once it has committed. */
export interface ServiceWrite {
  /** When the service wants looking at again (a delay, a monitor window...); unset: never. */
  wakeAt?: number;
  /** The write was cut short: the next pass, which reads this commit's state, goes on. */
  again?: boolean;
}

/**
 * The store loop the leader's service orchestrators, rolling updater and rebalancer share
 * (BRIEF decision 4): a view and a watch with no gap; events mark services (or nodes) dirty;
 * each commit marker starts a pass over the dirty services, each written in ONE store.update
 * that reads and writes the same view (services in parallel: their writes never touch the
 * same task). Nothing is timed here: the daemon calls tick(), which wakes the services whose
 * wakeAt has come, so the loop stays free of timers. A failed write (a version conflict, a
 * lost leadership...) leaves its service dirty for the next commit or tick, never spinning.
 *
 * Building a transaction is CPU on the thread that sends Raft heartbeats, so a pass hands the
 * event loop back (yieldToEventLoop) before each further build, but proposes each service as
 * soon as it is built and awaits the commits together, at most maxProposalsInFlight at once:
 * heartbeats and I/O run between builds, the fsyncs still batch, and one pass cannot fill
 * Raft's uncommitted budget with its own proposals.
 *
 * A subclass says which changes mark which services, which services a node's change concerns,
 * which dirty services are its own at pass time, and what to write for one.
 */
export abstract class DirtyServiceLoop<W extends ServiceWrite = ServiceWrite> {
  protected readonly store: OrchestratorStore;
  protected readonly clock: Clock;
  protected readonly newId?: IdGenerator;
  protected readonly log?: Logger;
  private readonly yieldToEventLoop: YieldToEventLoop;
  private readonly maxInFlight: number;

  private cancelWatch?: () => void;
  private running = false;
  /** Services to look at in the next pass. */
  private readonly dirty = new Set<string>();
  /** Nodes that changed in a way that matters; resolved to services at the next pass. */
  private readonly dirtyNodes = new Set<string>();
  /** Services whose last write failed: dirty again at the next commit or tick. */
  private readonly retry = new Set<string>();
  /** Per service, its writes that failed in a row; see writeFailed(). */
  private readonly failures = new Map<string, number>();
  /** Per service failing again and again, until when it is left alone. */
  private readonly backoffUntil = new Map<string, number>();
  /** Per service, when it wants looking at again. */
  private readonly wakeUps = new Map<string, number>();
  private pass?: Promise<void>;

  constructor(
    private readonly name: string,
    opts: StoreLoopOptions,
  ) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.newId = opts.newId;
    this.log = opts.logger;
    this.yieldToEventLoop = opts.yieldToEventLoop ?? yieldToEventLoop;
    this.maxInFlight = Math.max(1, opts.maxProposalsInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  }

  /** Marks the services to look at from a full read: at start and after a store reset. */
  protected abstract markAll(tx: ReadTx): void;

  /** A service was created, updated or removed: mark what it concerns (see markDirty). */
  protected abstract onServiceChange(e: StoreChangeEvent): void;

  /** A task was created, updated or removed: mark what it concerns (see markDirty). */
  protected abstract onTaskChange(e: StoreChangeEvent): void;

  /** Whether a node's change can alter a write; if so, see servicesAffectedByNodes. */
  protected abstract nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean;

  /**
   * The services the changes of `nodeIds` concern, read at the start of a pass. Default:
   * every service, since any may want a task on a node or have to stop one.
   */
  protected servicesAffectedByNodes(tx: ReadTx, _nodeIds: ReadonlySet<string>): Iterable<string> {
    return tx.list<OrchestratedService>('service').map((s) => s.ID);
  }

  /** Whether a dirty service is still ours to write, at the start of a pass. Default: yes. */
  protected isOurs(_tx: ReadTx, _serviceId: string): boolean {
    return true;
  }

  /** One service's write, into `tx`; runs inside its own store.update. */
  protected abstract write(tx: WriteTx, serviceId: string): W;

  /** Takes in a write once it has committed, while the loop runs. Default: nothing more. */
  protected committed(_serviceId: string, _result: W): void {}

  /** The service is looked at in the next pass. */
  protected markDirty(serviceId: string): void {
    this.dirty.add(serviceId);
  }

  /** Drops the service's pending wake-up (it is gone, or no longer ours). */
  protected cancelWakeUp(serviceId: string): void {
    this.wakeUps.delete(serviceId);
  }

  /** Reads every service, starts watching from exactly that view, and writes the dirty ones. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { cancel } = this.store.viewAndWatch(
      (tx) => this.markAll(tx),
      (event) => this.onEvent(event),
      { kinds: ['service', 'task', 'node'], onError: (error) => this.onWatchError(error) },
    );
    this.cancelWatch = cancel;
    this.kick();
  }

  /** Stops watching. A pass in flight finishes its writes; see settled(). */
  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.dirty.clear();
    this.dirtyNodes.clear();
    this.retry.clear();
    this.wakeUps.clear();
    this.failures.clear();
    this.backoffUntil.clear();
  }

  /** Looks again at the services whose wake-up is due at `now`, and retries failed writes. */
  tick(now: number = this.clock.now()): Promise<void> {
    if (!this.running) return Promise.resolve();
    for (const [id, at] of this.wakeUps) {
      if (at <= now) {
        this.wakeUps.delete(id);
        this.dirty.add(id);
      }
    }
    this.takeRetries();
    this.kick();
    return this.settled();
  }

  /** The earliest pending wake-up, so the daemon can time its next tick. */
  nextWakeAt(): number | undefined {
    let min: number | undefined;
    for (const at of this.wakeUps.values()) min = min === undefined ? at : Math.min(min, at);
    return min;
  }

  /** Resolves once no pass is running. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.store.view((tx) => this.markAll(tx));
      this.kick();
    } else if (event.type === 'commit') {
      this.takeRetries();
      this.kick();
    } else if (event.kind === 'service') {
      this.onServiceChange(event);
    } else if (event.kind === 'task') {
      this.onTaskChange(event);
    } else if (event.kind === 'node') {
      const now = event.object as OrchestratedNode;
      if (
        this.nodeChangeMatters(event.previous as OrchestratedNode | undefined, now, event.action)
      ) {
        this.dirtyNodes.add(now.ID);
      }
    }
  }

  private onWatchError(error: unknown): void {
    // The listener threw, so the store unsubscribed it and an event may be lost: re-read.
    this.log?.error(`${this.name} lost its watch; re-reading`, { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private takeRetries(): void {
    for (const id of this.retry) this.dirty.add(id);
    this.retry.clear();
  }

  private hasWork(): boolean {
    return this.dirty.size > 0 || this.dirtyNodes.size > 0;
  }

  /** Starts a pass unless one runs; a running pass picks up whatever is dirty when it loops. */
  private kick(): void {
    if (this.pass || !this.running || !this.hasWork()) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    let first = true;
    while (this.running && this.hasWork()) {
      const ids = this.takeDirty();
      const inFlight = new Set<Promise<void>>();
      for (const id of ids) {
        // Before every build but the very first: between services, and between the passes
        // that finish a service whose write was cut.
        if (!first) await this.yieldToEventLoop();
        first = false;
        if (!this.running) break;
        while (inFlight.size >= this.maxInFlight) await Promise.race(inFlight);
        // writeService builds and proposes synchronously; only the commit is awaited.
        const write: Promise<void> = this.writeService(id).finally(() => inFlight.delete(write));
        inFlight.add(write);
      }
      await Promise.all(inFlight);
    }
  }

  /** The dirty services, with those of the dirty nodes, that are ours; others are dropped. */
  private takeDirty(): string[] {
    const now = this.clock.now();
    const ids = new Set(this.dirty);
    const nodes = new Set(this.dirtyNodes);
    this.dirty.clear();
    this.dirtyNodes.clear();
    return this.store.view((tx) => {
      if (nodes.size > 0) {
        for (const id of this.servicesAffectedByNodes(tx, nodes)) ids.add(id);
      }
      return [...ids].filter((id) => {
        // Backing off: its wake-up brings it back once the time is up.
        if ((this.backoffUntil.get(id) ?? 0) > now) return false;
        if (this.isOurs(tx, id)) return true;
        this.wakeUps.delete(id);
        return false;
      });
    });
  }

  private async writeService(serviceId: string): Promise<void> {
    let result: W | undefined;
    try {
      await this.store.update((tx) => {
        result = this.write(tx, serviceId);
      });
    } catch (error) {
      if (this.running) this.writeFailed(serviceId, error);
      return;
    }
    this.failures.delete(serviceId);
    this.backoffUntil.delete(serviceId);
    // A stopped loop keeps nothing: its successor reads the store afresh.
    if (!this.running || !result) return;
    if (result.wakeAt === undefined) this.wakeUps.delete(serviceId);
    else this.wakeUps.set(serviceId, result.wakeAt);
    // The rest is decided again from the state this commit left.
    if (result.again) this.dirty.add(serviceId);
    this.committed(serviceId, result);
  }

  /**
   * A failed write (a version conflict with another writer, a lost leadership) is tried again
   * at the next commit or tick. One that keeps failing (an entry Raft refuses, a bug in a
   * write) would otherwise be rebuilt and logged at every commit forever: after
   * FREE_RETRIES failures in a row the service is left alone for a doubling delay, up to
   * MAX_BACKOFF_MS, whatever events come for it meanwhile.
   */
  private writeFailed(serviceId: string, error: unknown): void {
    const n = (this.failures.get(serviceId) ?? 0) + 1;
    this.failures.set(serviceId, n);
    if (n <= FREE_RETRIES) {
      this.retry.add(serviceId);
      this.log?.warn(`${this.name}: write failed; retrying at the next commit`, {
        serviceId,
        error: `${error}`,
      });
      return;
    }
    const delayMs = Math.min(MAX_BACKOFF_MS, BACKOFF_BASE_MS * 2 ** (n - FREE_RETRIES - 1));
    const until = this.clock.now() + delayMs;
    this.backoffUntil.set(serviceId, until);
    this.wakeUps.set(serviceId, until);
    this.log?.warn(`${this.name}: write failed ${n} times in a row; retrying in ${delayMs} ms`, {
      serviceId,
      error: `${error}`,
    });
  }
}
