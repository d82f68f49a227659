import { type core, type StateMachine } from '@shoal/raft';
import { type Proposer } from '../store.contract';

// EntryType is a value enum; the store may only import Raft's types, so spell Normal out.
const NORMAL = 0 as core.EntryType.Normal;

function entry(index: number, data: Uint8Array): core.Entry {
  return { index, term: 1, type: NORMAL, data };
}

/**
 * A Proposer for tests: each proposal is committed at once, at the next index, and applied
 * to every attached state machine before propose() resolves, as Raft would on one manager.
 */
export class DirectProposer implements Proposer {
  /** Every entry committed so far, so tests can replay the log into another store. */
  readonly log: core.Entry[] = [];
  private readonly machines: StateMachine[] = [];

  constructor(private nextIndex = 1) {}

  attach(...machines: StateMachine[]): this {
    this.machines.push(...machines);
    return this;
  }

  async propose(data: Uint8Array): Promise<{ index: number }> {
    const e = entry(this.nextIndex++, data);
    this.log.push(e);
    await Promise.all(this.machines.map((m) => m.apply([e])));
    return { index: e.index };
  }
}

interface Queued {
  data: Uint8Array;
  resolve: (r: { index: number }) => void;
  reject: (error: unknown) => void;
}

/**
 * A Proposer that holds proposals until the test commits them, in any order, to any set of
 * state machines: for races (two transactions built on the same view) and determinism.
 */
export class QueuedProposer implements Proposer {
  readonly log: core.Entry[] = [];
  private readonly machines: StateMachine[] = [];
  private queued: Queued[] = [];

  constructor(private nextIndex = 1) {}

  attach(...machines: StateMachine[]): this {
    this.machines.push(...machines);
    return this;
  }

  get pending(): number {
    return this.queued.length;
  }

  propose(data: Uint8Array): Promise<{ index: number }> {
    return new Promise((resolve, reject) => this.queued.push({ data, resolve, reject }));
  }

  /**
   * Commits the queued proposals (all of them, or those at the given queue positions, in
   * that order) and applies them in one batch; the rest stay queued.
   */
  async commit(order?: number[]): Promise<core.Entry[]> {
    const picked = (order ?? this.queued.map((_, i) => i)).map((i) => this.queued[i]!);
    this.queued = this.queued.filter((q) => !picked.includes(q));
    const entries = picked.map((q) => entry(this.nextIndex++, q.data));
    this.log.push(...entries);
    await Promise.all(this.machines.map((m) => m.apply(entries)));
    picked.forEach((q, i) => q.resolve({ index: entries[i]!.index }));
    return entries;
  }

  /** Fails every queued proposal, as a lost leadership would. */
  failAll(error: unknown): void {
    for (const q of this.queued) q.reject(error);
    this.queued = [];
  }
}
