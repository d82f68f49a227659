import { Buffer } from 'node:buffer';
import { aesGcmCipher } from '@shoal/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryType } from '../core/types';
import { crc32c } from './crc32c';
import {
  decodeRecord,
  decodeSegmentHeader,
  encodeSegmentHeader,
  findIntactRecord,
  parseSegmentFileName,
  readU64,
  RecordEncoder,
  RecordType,
  SEGMENT_MAGIC,
  segmentFileName,
  type WalRecord,
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
    expect(decodeSegmentHeader(h)).toEqual({ seq: 7, firstIndex: 99, encrypted: false });
    expect(decodeSegmentHeader(encodeSegmentHeader(7, 99, true))).toEqual({
      seq: 7,
      firstIndex: 99,
      encrypted: true,
    });
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

  it('reads a header written before the flags existed as plain text, byte for byte', () => {
    // The original layout: magic | version u32 = 1 | seq u64 | first index u64 | crc u32.
    const old = Buffer.alloc(32);
    SEGMENT_MAGIC.copy(old, 0);
    old.writeUInt32LE(1, 8);
    writeU64(old, 12, 3);
    writeU64(old, 20, 41);
    old.writeUInt32LE(crc32c(old.subarray(0, 28)), 28);
    expect(encodeSegmentHeader(3, 41).equals(old)).toBe(true);
    expect(decodeSegmentHeader(old)).toEqual({ seq: 3, firstIndex: 41, encrypted: false });
    // An older reader sees the flag as part of a u32 version, and refuses it.
    expect(encodeSegmentHeader(3, 41, true).readUInt32LE(8)).toBe(0x10001);
  });

  it('refuses unknown segment flags', () => {
    const h = encodeSegmentHeader(1, 1);
    h.writeUInt16LE(0x8000, 10);
    h.writeUInt32LE(crc32c(h.subarray(0, 28)), 28);
    expect(decodeSegmentHeader(h)).toMatch(/unsupported segment flags 0x8000/);
  });

  describe('with a cipher', () => {
    const cipher = aesGcmCipher(Buffer.alloc(32, 7));
    const entry = {
      index: 5,
      term: 2,
      type: EntryType.Normal,
      data: Buffer.from('secret-payload'),
    };
    const hardState = { term: 2, vote: 'n-secret', commit: 4 };

    it('seals every payload and round-trips every record kind', () => {
      const snapshot = { index: 3, term: 1, confState: { voters: ['a'], learners: [] } };
      const buf = new RecordEncoder(cipher)
        .keyCheck(9)
        .entry(entry)
        .hardState(hardState)
        .snapshot(snapshot)
        .finish();
      expect(buf.includes('secret-payload')).toBe(false);
      expect(buf.includes('n-secret')).toBe(false);
      const out = [];
      for (let off = 0; off < buf.length;) {
        const r = decodeRecord(buf, off, cipher);
        if (!r.ok) throw new Error(r.reason);
        out.push(r.record);
        off = r.end;
      }
      expect(out).toEqual([
        { type: RecordType.KeyCheck, seq: 9 },
        { type: RecordType.Entry, entry: { ...entry, data: new Uint8Array(entry.data) } },
        { type: RecordType.HardState, hardState },
        { type: RecordType.Snapshot, snapshot },
      ]);
    });

    it('reports a record whose checksum holds but which does not open as undecryptable', () => {
      const buf = new RecordEncoder(cipher).entry(entry).finish();
      const other = aesGcmCipher(Buffer.alloc(32, 8));
      expect(decodeRecord(buf, 0, other)).toMatchObject({ ok: false, kind: 'undecryptable' });
      // Without a cipher the sealed bytes are read as a (nonsense) plain payload: never silently.
      expect(decodeRecord(buf, 0)).toMatchObject({ ok: false });
    });

    it('binds each payload to its record type', () => {
      const buf = new RecordEncoder(cipher).hardState(hardState).finish();
      // Relabel the hard state as a snapshot marker and fix the checksum up.
      buf[8] = RecordType.Snapshot;
      buf.writeUInt32LE(crc32c(buf.subarray(8), crc32c(buf.subarray(0, 4))), 4);
      expect(decodeRecord(buf, 0, cipher)).toMatchObject({ ok: false, kind: 'undecryptable' });
    });

    it('round-trips random record sequences, sealed (property)', () => {
      const u64 = fc.maxSafeNat();
      const name = fc.string({ maxLength: 12, unit: 'grapheme' });
      const recordArb: fc.Arbitrary<WalRecord> = fc.oneof(
        fc.record({
          type: fc.constant(RecordType.Entry as const),
          entry: fc.record({
            index: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
            term: u64,
            type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange),
            data: fc.uint8Array({ maxLength: 300 }),
          }),
        }),
        fc.record({
          type: fc.constant(RecordType.HardState as const),
          hardState: fc.record({ term: u64, vote: name, commit: u64 }),
        }),
        fc.record({
          type: fc.constant(RecordType.Snapshot as const),
          snapshot: fc.record({
            index: u64,
            term: u64,
            confState: fc.record({ voters: fc.array(name), learners: fc.array(name) }),
          }),
        }),
      );
      fc.assert(
        fc.property(fc.array(recordArb, { maxLength: 20 }), (records) => {
          const enc = new RecordEncoder(cipher);
          for (const r of records) {
            if (r.type === RecordType.Entry) enc.entry(r.entry);
            else if (r.type === RecordType.HardState) enc.hardState(r.hardState);
            else if (r.type === RecordType.Snapshot) enc.snapshot(r.snapshot);
          }
          const buf = enc.finish();
          const out: WalRecord[] = [];
          for (let off = 0; off < buf.length;) {
            const r = decodeRecord(buf, off, cipher);
            if (!r.ok) throw new Error(r.reason);
            out.push(r.record);
            off = r.end;
          }
          expect(out).toEqual(records);
          // No record opens with another key.
          if (buf.length > 0) {
            expect(decodeRecord(buf, 0, aesGcmCipher(Buffer.alloc(32, 9)))).toMatchObject({
              kind: 'undecryptable',
            });
          }
        }),
        { numRuns: 200 },
      );
    });

    it('refuses a key check record without a cipher', () => {
      expect(() => new RecordEncoder().keyCheck(1)).toThrow(/only in encrypted segments/);
      const buf = new RecordEncoder(cipher).keyCheck(1).finish();
      expect(decodeRecord(buf, 0)).toMatchObject({
        ok: false,
        kind: 'invalid',
        reason: expect.stringMatching(/key check record in a segment that is not encrypted/),
      });
    });
  });
});
