import { type Entry } from '../core/types';
import { ProposalDroppedError } from './driver.errors';
import { type RaftDriverMetrics } from './driver.metrics';

interface Waiter {
  term: number;
  resolve: (r: { index: number; term: number }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** performance.now() at propose(), when metrics are on. */
  start: number;
}

/**
 * Proposals waiting for their entry to be applied, keyed by log index. The core tells us the
 * index and term a proposal got; if a different term shows up at that index when it is applied,
 * a new leader overwrote it and it will never apply: that is a certain drop, safe to retry.
 *
 * One index can have several waiters: a leader whose uncommitted tail was cut short by a newer
 * leader may lead again and append at an index it already proposed at, in an older term. The
 * older proposal is not settled then (it may still be the one that commits, from another
 * member's log), only when the index is applied, and its timer must not take the newer one
 * with it.
 */
export class ProposalWaiters {
  private readonly byIndex = new Map<number, Set<Waiter>>();
  private emptied: (() => void)[] = [];

  constructor(private readonly metrics?: RaftDriverMetrics) {}

  /** Resolves once no proposal is waiting. */
  whenEmpty(): Promise<void> {
    if (this.byIndex.size === 0) return Promise.resolve();
    return new Promise((r) => this.emptied.push(r));
  }

  private settled(): void {
    if (this.byIndex.size > 0 || this.emptied.length === 0) return;
    const waiting = this.emptied;
    this.emptied = [];
    for (const r of waiting) r();
  }

  wait(index: number, term: number, timeoutMs: number, onTimeout: () => Error) {
    return new Promise<{ index: number; term: number }>((resolve, reject) => {
      const w: Waiter = {
        term,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.byIndex.get(index);
          at?.delete(w);
          if (at?.size === 0) this.byIndex.delete(index);
          reject(onTimeout());
          this.settled();
        }, timeoutMs),
        start: this.metrics ? performance.now() : 0,
      };
      let at = this.byIndex.get(index);
      if (!at) this.byIndex.set(index, (at = new Set()));
      at.add(w);
    });
  }

  /**
   * Settles every waiter whose index is among these applied entries. `committedAt` is when
   * the driver learnt they were committed (performance.now()), for the latency metrics.
   */
  applied(entries: readonly Entry[], committedAt = 0): void {
    if (this.byIndex.size === 0) return;
    const now = this.metrics ? performance.now() : 0;
    for (const e of entries) {
      const at = this.byIndex.get(e.index);
      if (!at) continue;
      this.byIndex.delete(e.index);
      for (const w of at) {
        clearTimeout(w.timer);
        if (w.term === e.term) {
          if (this.metrics) {
            this.metrics.committed((committedAt - w.start) / 1000);
            this.metrics.proposalApplied((now - w.start) / 1000);
          }
          w.resolve({ index: e.index, term: e.term });
        } else
          w.reject(new ProposalDroppedError(`overwritten by term ${e.term} at index ${e.index}`));
      }
    }
    this.settled();
  }

  /** Settles waiters at or below an index that was skipped (covered by a restored snapshot). */
  skippedTo(index: number, error: () => Error): void {
    for (const [i, at] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      for (const w of at) {
        clearTimeout(w.timer);
        w.reject(error());
      }
    }
    this.settled();
  }

  rejectAll(error: () => Error): void {
    for (const at of this.byIndex.values()) {
      for (const w of at) {
        clearTimeout(w.timer);
        w.reject(error());
      }
    }
    this.byIndex.clear();
    this.settled();
  }
}

interface ReadWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Known once the leader answered the ReadIndex request. */
  index?: number;
  /** When the request was last sent, in the driver's ticks. */
  askedAt: number;
}

/**
 * Linearizable reads: a read is released once the leader has confirmed the read index and the
 * local state machine has applied up to it.
 */
export class ReadWaiters {
  private readonly byCtx = new Map<string, ReadWaiter>();

  wait(ctx: string, timeoutMs: number, onTimeout: () => Error, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.byCtx.delete(ctx);
        reject(onTimeout());
      }, timeoutMs);
      this.byCtx.set(ctx, { resolve, reject, timer, askedAt: now });
    });
  }

  readState(ctx: string, index: number, applied: number): void {
    const w = this.byCtx.get(ctx);
    if (!w) return;
    w.index = index;
    this.release(applied);
  }

  /** Contexts of reads no leader has answered yet, last asked at or before `askedBy`. */
  unanswered(askedBy = Infinity): string[] {
    const out: string[] = [];
    for (const [ctx, w] of this.byCtx) {
      if (w.index === undefined && w.askedAt <= askedBy) out.push(ctx);
    }
    return out;
  }

  /** Records that the read's request was sent again at `now`. */
  askedAgain(ctx: string, now: number): void {
    const w = this.byCtx.get(ctx);
    if (w) w.askedAt = now;
  }

  /** Fails one read now (its request could not even be placed). */
  reject(ctx: string, err: Error): void {
    const w = this.byCtx.get(ctx);
    if (!w) return;
    this.byCtx.delete(ctx);
    clearTimeout(w.timer);
    w.reject(err);
  }

  release(applied: number): void {
    for (const [ctx, w] of this.byCtx) {
      if (w.index === undefined || w.index > applied) continue;
      this.byCtx.delete(ctx);
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  rejectAll(error: () => Error): void {
    for (const w of this.byCtx.values()) {
      clearTimeout(w.timer);
      w.reject(error());
    }
    this.byCtx.clear();
  }
}
