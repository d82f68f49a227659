/**
 * Non-cryptographic hashing for the simulator: two independent 32-bit FNV-1a lanes give a
 * 64-bit digest, plenty to tell two event traces (or two state machines) apart.
 */
export class TraceHasher {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  private count = 0;

  add(text: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    // A separator, so ["ab","c"] and ["a","bc"] hash differently.
    this.a = Math.imul(a ^ 0xff, 0x01000193);
    this.b = Math.imul(b ^ 0xfe, 0x01000193);
    this.count++;
  }

  get events(): number {
    return this.count;
  }

  digest(): string {
    return (
      (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
    );
  }
}

export function hashBytes(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
