import { describe, expect, it } from 'vitest';
import { ReadOnly } from './read-only';
import { emptyMessage, MessageType } from './types';

function req(ctx: number[]) {
  const m = emptyMessage(MessageType.ReadIndex, 'a', 'b');
  m.context = new Uint8Array(ctx);
  return m;
}

describe('ReadOnly', () => {
  it('acks accumulate per request and advance releases all older requests', () => {
    const ro = new ReadOnly();
    ro.addRequest(5, req([1]));
    ro.addRequest(6, req([2]));
    ro.addRequest(7, req([3]));
    ro.addRequest(9, req([2])); // duplicate context ignored
    expect(ro.pendingCount).toBe(3);
    expect(ro.lastPendingRequestCtx()).toEqual(new Uint8Array([3]));
    expect([...ro.recvAck('x', new Uint8Array([2]))!]).toEqual(['x']);
    expect([...ro.recvAck('y', new Uint8Array([2]))!]).toEqual(['x', 'y']);
    expect(ro.recvAck('y', new Uint8Array([4]))).toBeUndefined();
    const done = ro.advance(new Uint8Array([2]));
    expect(done.map((d) => d.index)).toEqual([5, 6]);
    expect(ro.pendingCount).toBe(1);
    expect(ro.advance(new Uint8Array([2]))).toEqual([]);
    expect(ro.advance(new Uint8Array([3])).map((d) => d.index)).toEqual([7]);
    expect(ro.lastPendingRequestCtx()).toBeUndefined();
  });
});
