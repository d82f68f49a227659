import { type Rng } from './types';

/**
 * A small, fast, seedable PRNG (the public-domain SplitMix32 construction). Seeds replay
 * exactly, which is what the simulator and the scenario tests rely on.
 */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 0x1_0000_0000;
  }

  intn(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`intn needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }
}
