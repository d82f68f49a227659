import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryType } from '@shoal/raft/core/types';
import { KvStateMachine } from './kv.state-machine';

const entry = (index: number, key: string, value: string) => ({
  term: 1,
  index,
  type: EntryType.Normal,
  data: KvStateMachine.encodePut(key, Buffer.from(value)),
});

describe('KvStateMachine', () => {
  it('applies puts and remembers their order', () => {
    const kv = new KvStateMachine();
    kv.apply([entry(2, 'a', '1'), entry(3, 'b', '2'), entry(4, 'a', '3')]);
    expect(kv.get('a')?.toString()).toBe('3');
    expect(kv.appliedOrder()).toEqual(['a', 'b', 'a']);
    expect(kv.lastAppliedIndex()).toBe(4);
  });

  it('restores exactly what it snapshotted', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 30 }), (puts) => {
        const kv = new KvStateMachine();
        kv.apply(puts.map(([k, v], i) => entry(i + 1, k, v)));
        const copy = new KvStateMachine();
        copy.restore(kv.snapshot());
        expect(copy.appliedOrder()).toEqual(kv.appliedOrder());
        for (const [k] of puts) expect(copy.get(k)).toEqual(kv.get(k));
        expect(copy.lastAppliedIndex()).toBe(kv.lastAppliedIndex());
      }),
    );
  });

  it('refuses a key longer than the 16-bit length prefix allows', () => {
    expect(() => KvStateMachine.encodePut('x'.repeat(70_000), new Uint8Array())).toThrow(/65535/);
  });
});
