import { type ManualClock } from '@shoal/common';
import { type TimerPort } from '../core/timer.port';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Timers that fire only when the test moves the ManualClock through advance(), in due order
 * (ties in the order they were set), with the promise queue drained after each one.
 */
export class ManualTimers implements TimerPort {
  private pending: Pending[] = [];
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  setTimeout(fn: () => void, ms: number): () => void {
    const p: Pending = { at: this.clock.now() + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(p);
    return () => {
      this.pending = this.pending.filter((x) => x !== p);
    };
  }

  get size(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await settle();
    for (;;) {
      const next = this.pending
        .filter((p) => p.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.clock.set(Math.max(this.clock.now(), next.at));
      next.fn();
      await settle();
    }
    this.clock.set(end);
    await settle();
  }
}

/** Lets every promise chain that is ready run to its end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
