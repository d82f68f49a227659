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

  it('restores exactly what it snapshotted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 30 }),
        async (puts) => {
          const kv = new KvStateMachine();
          kv.apply(puts.map(([k, v], i) => entry(i + 1, k, v)));
          const copy = new KvStateMachine();
          copy.restore(await kv.snapshot());
          expect(copy.appliedOrder()).toEqual(kv.appliedOrder());
          for (const [k] of puts) expect(copy.get(k)).toEqual(kv.get(k));
          expect(copy.lastAppliedIndex()).toBe(kv.lastAppliedIndex());
        },
      ),
    );
  });

  it('captures the state when asked, not when the bytes are ready', async () => {
    const kv = new KvStateMachine();
    kv.apply(Array.from({ length: 12_000 }, (_, i) => entry(i + 1, `k${i}`, 'old')));
    const image = kv.snapshot();
    kv.apply([entry(12_001, 'k0', 'new'), entry(12_002, 'late', 'x')]);
    const copy = new KvStateMachine();
    copy.restore(await image);
    expect(copy.get('k0')?.toString()).toBe('old');
    expect(copy.get('late')).toBeUndefined();
    expect(copy.lastAppliedIndex()).toBe(12_000);
    expect(copy.appliedOrder()).toHaveLength(12_000);
  });

  it('refuses a key longer than the 16-bit length prefix allows', () => {
    expect(() => KvStateMachine.encodePut('x'.repeat(70_000), new Uint8Array())).toThrow(/65535/);
  });
});
