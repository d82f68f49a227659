/**
 * A fixed-size bitset whose `key()` is a compact string, so a (linearized set, state) pair can
 * be a Map key in the checker's memo table without hashing a whole array every lookup.
 */
export class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
  }

  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }

  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Two UTF-16 code units per word: the shortest exact encoding a JS string allows. */
  key(): string {
    let s = '';
    for (const w of this.words) s += String.fromCharCode(w & 0xffff, w >>> 16);
    return s;
  }
}
