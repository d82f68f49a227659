import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { EntryType } from '../core/types';
import {
  decodeRecord,
  decodeSegmentHeader,
  encodeSegmentHeader,
  findIntactRecord,
  parseSegmentFileName,
  readU64,
  RecordEncoder,
  RecordType,
  segmentFileName,
  writeU64,
} from './wal.codec';

describe('wal codec', () => {
  it('round-trips 64-bit integers up to MAX_SAFE_INTEGER and rejects larger', () => {
    const b = Buffer.alloc(8);
    for (const n of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      writeU64(b, 0, n);
      expect(readU64(b, 0)).toBe(n);
    }
    b.fill(0xff);
    expect(readU64(b, 0)).toBeUndefined();
  });

  it('names segments so that they sort by sequence', () => {
    expect(segmentFileName(0, 1)).toBe('0000000000000000-0000000000000001.wal');
    expect(segmentFileName(255, 4096)).toBe('00000000000000ff-0000000000001000.wal');
    expect(parseSegmentFileName('00000000000000ff-0000000000001000.wal')).toEqual({
      seq: 255,
      firstIndex: 4096,
    });
    for (const bad of ['x.wal', '00ff-01.wal', '0000000000000000-0000000000000001.wal.tmp']) {
      expect(parseSegmentFileName(bad)).toBeUndefined();
    }
  });

  it('verifies segment headers', () => {
    const h = encodeSegmentHeader(7, 99);
    expect(decodeSegmentHeader(h)).toEqual({ seq: 7, firstIndex: 99 });
    const bad = Buffer.from(h);
    bad[15] ^= 1;
    expect(decodeSegmentHeader(bad)).toMatch(/checksum/);
    expect(decodeSegmentHeader(h.subarray(0, 10))).toMatch(/10 bytes/);
  });

  it('round-trips every record kind', () => {
    const entry = { index: 2 ** 40, term: 3, type: EntryType.ConfChange, data: Buffer.from('xyz') };
    const hardState = { term: 9, vote: 'nöde-é', commit: 2 ** 33 };
    const snapshot = {
      index: 12,
      term: 4,
      confState: { voters: ['a', 'ünïcode'], learners: [''] },
    };
    const buf = new RecordEncoder().entry(entry).hardState(hardState).snapshot(snapshot).finish();
    const r1 = decodeRecord(buf, 0);
    if (!r1.ok) throw new Error(r1.reason);
    expect(r1.record).toEqual({
      type: RecordType.Entry,
      entry: { ...entry, data: new Uint8Array([120, 121, 122]) },
    });
    const r2 = decodeRecord(buf, r1.end);
    if (!r2.ok) throw new Error(r2.reason);
    expect(r2.record).toEqual({ type: RecordType.HardState, hardState });
    const r3 = decodeRecord(buf, r2.end);
    if (!r3.ok) throw new Error(r3.reason);
    expect(r3.record).toEqual({ type: RecordType.Snapshot, snapshot });
    expect(r3.end).toBe(buf.length);
  });

  it('classifies unverifiable bytes separately from invalid content', () => {
    const buf = new RecordEncoder().hardState({ term: 1, vote: '', commit: 0 }).finish();
    expect(decodeRecord(buf.subarray(0, 5), 0)).toMatchObject({ ok: false, kind: 'unverified' });
    expect(decodeRecord(buf.subarray(0, buf.length - 1), 0)).toMatchObject({
      ok: false,
      kind: 'unverified',
      reason: expect.stringMatching(/runs past end of file/),
    });
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 1] ^= 1;
    expect(decodeRecord(flipped, 0)).toMatchObject({
      ok: false,
      reason: 'record checksum mismatch',
    });
    expect(decodeRecord(Buffer.alloc(16), 0)).toMatchObject({ ok: false, kind: 'unverified' });
  });

  it('finds an intact record after garbage, and none in zeros or random bytes', () => {
    const rec = new RecordEncoder().hardState({ term: 1, vote: 'v', commit: 0 }).finish();
    const garbage = Buffer.from([1, 2, 3, 250, 251, 252, 0, 0, 9]);
    expect(findIntactRecord(Buffer.concat([garbage, rec]), 0)).toBe(garbage.length);
    expect(findIntactRecord(Buffer.alloc(1000), 0)).toBe(-1);
    const noise = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251));
    expect(findIntactRecord(noise, 0)).toBe(-1);
  });
});
