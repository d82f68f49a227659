import { type Clock, type IdGenerator, objectIdGenerator } from '@shoal/common';
import { type core, type StateMachine } from '@shoal/raft';
import { Changelog, filterKinds } from './store.changelog';
import {
  type ApplyOutcome,
  type Kind,
  type Proposer,
  type StoreEvent,
  type StoreProposal,
} from './store.contract';
import { StoreError, StoreOutcomeUnknownError } from './store.errors';
import { type StoreMetrics } from './store.metrics';
import { planProposal } from './proposal.apply';
import { decodeProposal, decodeSnapshot, encodeProposal, encodeSnapshot } from './proposal.codec';
import { Tables } from './store.tables';
import {
  type ChangesSinceOptions,
  type ReadTx,
  type StoreListener,
  type UpdateResult,
  type WatchOptions,
  type WriteTx,
} from './store.types';
import { kindSet, Watchers } from './store.watchers';
import { WriteTransaction } from './write.transaction';

export interface MemoryStoreOptions {
  proposer: Proposer;
  clock: Clock;
  /** IDs of new objects and of proposals. Default: objectIdGenerator(). */
  newId?: IdGenerator;
  /** How many events (changes and commit markers) watch({since}) can replay. */
  changelogLimit?: number;
  /** Transaction latency hooks, for monitoring. */
  metrics?: StoreMetrics;
}

export const DEFAULT_CHANGELOG_LIMIT = 10_000;

/**
 * The replicated object store: in-memory tables that change only when Raft applies an entry,
 * identically on every manager. Writes are proposed through the Proposer; reads are local.
 */
export class MemoryStore implements StateMachine {
  private readonly tables = new Tables();
  /** The committed state as callers see it: a read-only face over the tables. */
  private readonly reader: ReadTx;
  private readonly changelog: Changelog;
  private readonly watchers = new Watchers();
  private readonly proposer: Proposer;
  private readonly clock: Clock;
  private readonly newId: IdGenerator;
  private readonly metrics: StoreMetrics | undefined;
  /**
   * Outcomes of this store's own proposals, keyed by requestId. Only requestIds with an
   * update() waiting are recorded (other managers' proposals are not), and update() removes
   * its key whether the proposal resolves or rejects, so the map holds at most one entry per
   * proposal in flight.
   */
  private readonly waiting = new Map<string, ApplyOutcome | undefined>();
  private skipped = 0;
  /**
   * This store's proposals by their encoded bytes, so that applying its own entries skips
   * decoding what it just encoded (the entry that Raft hands back is the same array). The
   * objects are the transaction's: detached, frozen and in JSON form, so what is stored is
   * what a follower decodes. Entries lost, or copied on the way, are decoded as usual.
   */
  private readonly own = new WeakMap<Uint8Array, StoreProposal>();

  constructor(opts: MemoryStoreOptions) {
    this.proposer = opts.proposer;
    this.clock = opts.clock;
    this.newId = opts.newId ?? objectIdGenerator();
    this.metrics = opts.metrics;
    this.changelog = new Changelog(opts.changelogLimit ?? DEFAULT_CHANGELOG_LIMIT);
    const t = this.tables;
    this.reader = {
      get lastIndex() {
        return t.lastIndex;
      },
      get: (kind, id) => t.get(kind, id),
      getByName: (kind, name) => t.getByName(kind, name),
      list: (kind) => t.list(kind),
      find: (kind, predicate) => t.find(kind, predicate),
      tasksByService: (id) => t.tasksByService(id),
      tasksByNode: (id) => t.tasksByNode(id),
      tasksByDesiredState: (state) => t.tasksByDesiredState(state),
    };
  }

  /** Raft index of the last entry applied to the store. */
  get lastIndex(): number {
    return this.tables.lastIndex;
  }

  /** Objects of one kind in the committed state, in constant time (for metrics). */
  count(kind: Kind): number {
    return this.tables.count(kind);
  }

  /** Entries apply() skipped because they held no valid proposal. */
  get skippedEntries(): number {
    return this.skipped;
  }

  view<T>(fn: (tx: ReadTx) => T): T {
    return fn(this.reader);
  }

  /**
   * Runs `fn` against a private overlay, proposes its writes as one entry and resolves once
   * that entry is applied here. Rejects with StoreError if a precondition fails (in `fn`, or
   * at apply time), with the proposer's error if Raft cannot tell, and with whatever `fn`
   * throws (then nothing is proposed). `fn` must be synchronous: the overlay is only
   * consistent with the committed state within one turn.
   */
  /**
   * `opts.proposer` replaces the store's proposer for this write: leader-only components
   * (orchestrators, scheduler) propose straight to their own Raft node, so a deposed leader's
   * write fails instead of being forwarded to the new leader.
   */
  update(fn: (tx: WriteTx) => void, opts: { proposer?: Proposer } = {}): Promise<UpdateResult> {
    const metrics = this.metrics;
    if (!metrics) return this.write(fn, opts, 0);
    const started = metrics.transactionStarted();
    return this.write(fn, opts, started).catch((err: unknown) => {
      metrics.transactionEnded(started, 'failed');
      throw err;
    });
  }

  private async write(
    fn: (tx: WriteTx) => void,
    opts: { proposer?: Proposer },
    started: number,
  ): Promise<UpdateResult> {
    const time = this.clock.now();
    const tx = new WriteTransaction(this.reader, time, this.newId);
    const returned: unknown = fn(tx);
    if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
      throw new TypeError('store update callbacks must be synchronous');
    }
    const { actions, created } = tx.actions();
    if (actions.length === 0) return { index: this.lastIndex, created: [] };

    const proposal: StoreProposal = { requestId: this.newId(), time, actions };
    this.waiting.set(proposal.requestId, undefined);
    let index: number;
    let outcome: ApplyOutcome | undefined;
    try {
      const data = encodeProposal(proposal);
      this.own.set(data, proposal);
      ({ index } = await (opts.proposer ?? this.proposer).propose(data));
      outcome = this.waiting.get(proposal.requestId);
    } finally {
      this.waiting.delete(proposal.requestId);
    }
    if (!outcome) throw new StoreOutcomeUnknownError(index);
    if (outcome.failure) throw new StoreError(outcome.failure);
    this.metrics?.transactionEnded(started, 'committed');
    return { index: outcome.index, created };
  }

  /** StateMachine: applies committed entries in order. Never throws on bad entries. */
  apply(entries: core.Entry[]): void {
    for (const entry of entries) this.applyEntry(entry);
  }

  /** StateMachine: the whole state as JSON. Objects are immutable, so capture is O(objects). */
  snapshot(): Uint8Array {
    return encodeSnapshot({ index: this.lastIndex, tables: this.tables.image() });
  }

  /** StateMachine: replaces all state; watchers get a reset event and must re-read. */
  restore(data: Uint8Array): void {
    const image = decodeSnapshot(data);
    this.tables.load(image.tables, image.index);
    this.changelog.reset(image.index);
    this.watchers.publishReset(Object.freeze({ type: 'reset', index: image.index }));
  }

  /**
   * Subscribes to applied changes. With `since`, first replays (synchronously, before
   * returning) every retained event above it, then continues live with no gap or
   * duplicate. Returns the unsubscribe function. If the listener throws during the replay,
   * the error propagates and nothing is subscribed; once live, see WatchOptions.onError.
   */
  watch(listener: StoreListener, opts: WatchOptions = {}): () => void {
    let after = this.lastIndex;
    if (opts.since !== undefined) {
      const backlog = this.changelog.since(opts.since);
      for (const e of filterKinds(backlog, kindSet(opts.kinds))) listener(e);
      // A client that has seen more than we applied (another manager) gets nothing twice.
      after = Math.max(after, opts.since);
    }
    return this.watchers.add(listener, after, opts);
  }

  /** A view and a subscription from exactly that view's index, in one synchronous turn. */
  viewAndWatch<T>(
    fn: (tx: ReadTx) => T,
    listener: StoreListener,
    opts: Omit<WatchOptions, 'since'> = {},
  ): { value: T; cancel: () => void } {
    const value = this.view(fn);
    return { value, cancel: this.watchers.add(listener, this.lastIndex, opts) };
  }

  /**
   * Retained events after `since`, for paging through history: pass the index of the last
   * commit marker received to get the next page. Throws WatchCompactedError if the
   * changelog no longer reaches back to `since`.
   */
  changesSince(since: number, opts: ChangesSinceOptions = {}): StoreEvent[] {
    const events = filterKinds(this.changelog.since(since), kindSet(opts.kinds));
    if (opts.limit === undefined) return events;
    let end = Math.min(Math.max(opts.limit, 1), events.length);
    // Extend to the end of the batch so a page never splits one.
    while (end < events.length && events[end - 1]?.type !== 'commit') end++;
    return events.slice(0, end);
  }

  private applyEntry(entry: core.Entry): void {
    // Already in the state (e.g. replayed over a snapshot that covers it).
    if (entry.index <= this.tables.lastIndex) return;
    this.tables.lastIndex = entry.index;
    const proposal = this.own.get(entry.data) ?? decodeProposal(entry.data);
    this.own.delete(entry.data);
    if (!proposal) {
      this.skipped++;
      return;
    }
    const plan = planProposal(this.reader, proposal, entry.index);
    // First outcome wins: a proposal retried through Raft may be applied twice, and the
    // second (failing) copy must not hide that the first one succeeded.
    if (this.waiting.has(proposal.requestId) && !this.waiting.get(proposal.requestId)) {
      const failure = 'failure' in plan ? plan.failure : undefined;
      this.waiting.set(
        proposal.requestId,
        failure ? { index: entry.index, failure } : { index: entry.index },
      );
    }
    if ('failure' in plan || plan.changes.length === 0) return;

    const events: StoreEvent[] = [];
    for (const change of plan.changes) {
      if (change.action === 'remove') this.tables.delete(change.kind, change.object.ID);
      else this.tables.put(change.kind, change.object);
      const event = { type: 'change', ...change, index: entry.index, time: proposal.time };
      events.push(Object.freeze(event) as StoreEvent);
    }
    events.push(Object.freeze({ type: 'commit', index: entry.index }));
    this.changelog.append(events);
    this.watchers.publish(entry.index, events);
  }
}
