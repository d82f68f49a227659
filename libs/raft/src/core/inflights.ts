/**
 * The sliding window of MsgApps sent to one follower in Replicate state and not yet
 * acknowledged. Bounding it bounds how much the leader pushes into a slow or dead follower's
 * transport queue; acknowledgements free the window from the front.
 *
 * A ring buffer: appends and frees happen on every message, so no array shifting.
 */
export class Inflights {
  private start = 0;
  private n = 0;
  private bytes = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly capacity: number,
    /** Optional byte budget across the window; Infinity disables it. */
    readonly maxBytes: number = Infinity,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`inflight capacity must be a positive integer, got ${capacity}`);
    }
    this.indexes = new Array<number>(capacity).fill(0);
    this.sizes = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.n;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Records a MsgApp whose last entry is `index`. Indexes must increase. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RangeError('cannot add into a full inflights window');
    const slot = (this.start + this.n) % this.capacity;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.n++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to` (they are all acknowledged). */
  freeLE(to: number): void {
    if (this.n === 0 || to < this.indexes[this.start]!) return;
    let i = 0;
    let freed = 0;
    let slot = this.start;
    for (; i < this.n; i++) {
      if (to < this.indexes[slot]!) break;
      freed += this.sizes[slot]!;
      slot = (slot + 1) % this.capacity;
    }
    this.n -= i;
    this.bytes -= freed;
    this.start = this.n === 0 ? 0 : slot;
  }

  /**
   * Frees the oldest slot. Used when a heartbeat response shows the follower is alive while
   * the window is full: some MsgApp was probably lost, and letting one more through makes the
   * follower reject it and the leader fall back to probing instead of stalling forever.
   */
  freeFirstOne(): void {
    if (this.n === 0) return;
    this.freeLE(this.indexes[this.start]!);
  }

  full(): boolean {
    return this.n === this.capacity || (this.maxBytes !== Infinity && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.n = 0;
    this.bytes = 0;
  }
}
