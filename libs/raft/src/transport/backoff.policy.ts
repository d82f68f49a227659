export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": each delay is drawn from the upper half of the
 * doubling window. The jitter keeps the managers of a cluster that lost a peer together from
 * reconnecting in lockstep; the fixed half keeps a retry from landing immediately.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    if (!(opts.initialMs > 0 && opts.maxMs >= opts.initialMs)) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${JSON.stringify(opts)}`);
    }
  }

  /** The delay before the next attempt; each call widens the window until maxMs. */
  next(): number {
    // Capping the exponent keeps 2 ** attempt finite however long a peer stays down.
    const window = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(window / 2 + this.random() * (window / 2));
  }

  /** A connection worked; the next failure starts from initialMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
