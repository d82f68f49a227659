import { type Entry } from '@shoal/raft/core/types';
import { type StateMachine } from '@shoal/raft/node/state-machine';

/**
 * A minimal replicated key-value map for tests and benchmarks. It also keeps the order in
 * which writes were applied, so the crash test can check that every node applied every
 * acknowledged write in the same order.
 *
 * Entry layout: u16 key length, key (utf8), value.
 */
export class KvStateMachine implements StateMachine {
  private readonly map = new Map<string, Buffer>();
  private order: string[] = [];
  private appliedIndex = 0;

  constructor(private readonly keepOrder = true) {}

  static encodePut(key: string, value: Uint8Array): Uint8Array {
    const k = Buffer.from(key, 'utf8');
    if (k.length > 0xffff) throw new RangeError(`key is ${k.length} bytes; at most 65535`);
    const out = Buffer.allocUnsafe(2 + k.length + value.length);
    out.writeUInt16BE(k.length, 0);
    k.copy(out, 2);
    out.set(value, 2 + k.length);
    return out;
  }

  apply(entries: Entry[]): void {
    for (const e of entries) {
      const buf = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      const klen = buf.readUInt16BE(0);
      const key = buf.toString('utf8', 2, 2 + klen);
      this.map.set(key, Buffer.from(buf.subarray(2 + klen)));
      if (this.keepOrder) this.order.push(key);
      this.appliedIndex = e.index;
    }
  }

  get(key: string): Buffer | undefined {
    return this.map.get(key);
  }

  appliedOrder(): readonly string[] {
    return this.order;
  }

  lastAppliedIndex(): number {
    return this.appliedIndex;
  }

  /**
   * Captures the map and order now (shallow copies: values are never mutated in place), then
   * serializes them into one buffer in slices that yield to the event loop, so a state of a
   * hundred thousand keys never blocks the process for long.
   */
  snapshot(): Promise<Uint8Array> {
    const entries = [...this.map];
    const order = this.order.slice();
    const appliedIndex = this.appliedIndex;
    return serializeInSlices(entries, order, appliedIndex);
  }

  restore(data: Uint8Array): void {
    this.map.clear();
    this.order = [];
    this.appliedIndex = 0;
    if (data.length === 0) return;
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const size = buf.readUInt32BE(0);
    const orderLen = buf.readUInt32BE(4);
    this.appliedIndex = buf.readUInt32BE(8);
    let off = 12;
    const next = () => {
      const len = buf.readUInt32BE(off);
      const v = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      return v;
    };
    for (let i = 0; i < size; i++) {
      const k = next().toString('utf8');
      this.map.set(k, Buffer.from(next()));
    }
    for (let i = 0; i < orderLen; i++) this.order.push(next().toString('utf8'));
  }
}

const SLICE = 5_000;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

async function serializeInSlices(
  entries: [string, Buffer][],
  order: string[],
  appliedIndex: number,
): Promise<Uint8Array> {
  let size = 12;
  for (const [k, v] of entries) size += 8 + Buffer.byteLength(k) + v.length;
  for (const k of order) size += 4 + Buffer.byteLength(k);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(entries.length, 0);
  out.writeUInt32BE(order.length, 4);
  out.writeUInt32BE(appliedIndex, 8);
  let off = 12;
  const put = (b: string | Buffer) => {
    const len = typeof b === 'string' ? out.write(b, off + 4, 'utf8') : b.copy(out, off + 4);
    out.writeUInt32BE(len, off);
    off += 4 + len;
  };
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && i % SLICE === 0) await yieldToLoop();
    put(entries[i]![0]);
    put(entries[i]![1]);
  }
  for (let i = 0; i < order.length; i++) {
    if (i > 0 && i % SLICE === 0) await yieldToLoop();
    put(order[i]!);
  }
  return out;
}
