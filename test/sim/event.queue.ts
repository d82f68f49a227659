/**
 * The simulator's only notion of time: a virtual clock that jumps from one scheduled event to
 * the next. Events at the same instant run in the order they were scheduled (the `seq`
 * tie-break), so nothing depends on heap internals and a seed replays exactly.
 */
export interface SimEvent {
  time: number;
  seq: number;
  /** Folded into the trace hash; also what a failing run prints as its last steps. */
  label: string;
  run: () => void;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;
  private clock = 0;

  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  schedule(delay: number, label: string, run: () => void): void {
    if (!(delay >= 0)) throw new RangeError(`cannot schedule into the past (delay ${delay})`);
    this.push({ time: this.clock + delay, seq: this.seq++, label, run });
  }

  /** Pops and runs the earliest event; returns it, or undefined when nothing is left. */
  runNext(): SimEvent | undefined {
    const ev = this.pop();
    if (!ev) return undefined;
    this.clock = ev.time;
    ev.run();
    return ev;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
