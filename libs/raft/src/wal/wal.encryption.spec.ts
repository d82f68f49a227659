import { Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { aesGcmCipher } from '@shoal/common';
import { describe, expect, it } from 'vitest';
import { type Entry, EntryType, type HardState } from '../core/types';
import { crc32c } from './crc32c';
import {
  decodeRecord,
  decodeSegmentHeader,
  encodeSegmentHeader,
  RecordEncoder,
  RecordType,
  SEGMENT_HEADER_BYTES,
} from './wal.codec';
import { WalCorruptionError, WalEncryptionError } from './wal.errors';
import { type WalOptions } from './wal.types';
import { quietWalLogger, walTestDir } from './testing/wal-test-dir';

const KEY = Buffer.alloc(32, 0x11);
const cipher = aesGcmCipher(KEY);
const otherCipher = aesGcmCipher(Buffer.alloc(32, 0x22));

const { dir, openWal } = walTestDir('shoal-wal-enc-', { fsync: false, cipher });

/** Entry data with a marker string, to show it never reaches the disk in the clear. */
function entry(index: number, term = 1): Entry {
  const data = new Uint8Array(Buffer.from(`PLAINTEXT-${index}-xxxx`));
  return { index, term, type: EntryType.Normal, data };
}

const hs = (term: number, commit: number): HardState => ({ term, vote: 'VOTE-n2', commit });

async function segments(): Promise<string[]> {
  return (await fs.readdir(dir()))
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((f) => path.join(dir(), f));
}

/** Writes entries 1..n (hard state after each), closes, returns the last segment's path. */
async function writeEntries(n: number, opts: WalOptions = {}): Promise<string> {
  const { wal } = await openWal(opts);
  for (let i = 1; i <= n; i++) await wal.save(hs(1, i - 1), [entry(i)], true);
  await wal.close();
  return (await segments()).at(-1)!;
}

/** Byte offsets of the records in an encrypted segment, key check included. */
async function recordOffsets(file: string): Promise<number[]> {
  const buf = await fs.readFile(file);
  const out: number[] = [];
  for (let off = SEGMENT_HEADER_BYTES; off < buf.length;) {
    out.push(off);
    const r = decodeRecord(buf, off, cipher);
    if (!r.ok) throw new Error(r.reason);
    off = r.end;
  }
  return out;
}

async function flipByte(file: string, offset: number): Promise<void> {
  const buf = await fs.readFile(file);
  buf[offset] ^= 0x5a;
  await fs.writeFile(file, buf);
}

/** Flips a byte inside a record's sealed payload and recomputes its CRC: only GCM notices. */
async function tamperSealed(file: string, recordOffset: number): Promise<void> {
  const buf = await fs.readFile(file);
  const len = buf.readUInt32LE(recordOffset);
  buf[recordOffset + 8 + len - 1] ^= 0x01;
  const crc = crc32c(
    buf.subarray(recordOffset + 8, recordOffset + 8 + len),
    crc32c(buf.subarray(recordOffset, recordOffset + 4)),
  );
  buf.writeUInt32LE(crc, recordOffset + 4);
  await fs.writeFile(file, buf);
}

async function openError(opts: WalOptions = {}): Promise<unknown> {
  return openWal(opts).then(
    () => {
      throw new Error('expected Wal.open to fail');
    },
    (e: unknown) => e,
  );
}

describe('Wal with a cipher', () => {
  it('round-trips entries, hard state and markers across segments, with nothing in clear text', async () => {
    const { wal } = await openWal({ segmentBytes: 600 });
    for (let i = 1; i <= 30; i++) await wal.save(hs(2, i - 1), [entry(i, 2)], i % 4 === 0);
    const marker = { index: 10, term: 2, confState: { voters: ['VOTER-a'], learners: [] } };
    await wal.saveSnapshotMarker(marker);
    await wal.save(hs(3, 30), [entry(31, 3)], true);
    await wal.close();

    const files = await segments();
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const buf = await fs.readFile(f);
      const header = decodeSegmentHeader(buf.subarray(0, SEGMENT_HEADER_BYTES));
      expect(header).toMatchObject({ encrypted: true });
      for (const secret of ['PLAINTEXT', 'VOTE-n2', 'VOTER-a']) {
        expect(buf.includes(secret)).toBe(false);
      }
      // Each segment opens with its own key check.
      const first = decodeRecord(buf, SEGMENT_HEADER_BYTES, cipher);
      expect(first).toMatchObject({
        ok: true,
        record: { type: RecordType.KeyCheck, seq: typeof header === 'string' ? -1 : header.seq },
      });
    }

    const { state } = await openWal({ segmentBytes: 600 });
    expect(state.snapshot).toEqual(marker);
    expect(state.hardState).toEqual(hs(3, 30));
    expect(state.entries).toEqual([
      ...Array.from({ length: 20 }, (_, k) => entry(11 + k, 2)),
      entry(31, 3),
    ]);
  });

  it('creates an encrypted WAL that a wrong key cannot open even before anything is written', async () => {
    const { wal } = await openWal();
    await wal.close();
    const err = await openError({ cipher: otherCipher });
    expect(err).toBeInstanceOf(WalEncryptionError);
    expect((err as WalEncryptionError).kind).toBe('wrong-key');
  });

  it('truncates a torn tail and stays writable', async () => {
    const file = await writeEntries(8);
    const offsets = await recordOffsets(file);
    const lastStart = offsets.at(-1)!;
    const { size } = await fs.stat(file);
    await fs.truncate(file, size - 7);

    const log = quietWalLogger();
    const { wal, state } = await openWal({ logger: log });
    // The last record was the hard state after entry 8; entry 8 itself survives.
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(state.hardState).toEqual(hs(1, 6));
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('torn'),
      expect.objectContaining({ file, offset: lastStart }),
    );
    expect((await fs.stat(file)).size).toBe(lastStart);

    await wal.save(hs(1, 9), [entry(9)], true);
    await wal.close();
    const { state: again } = await openWal();
    expect(again.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(again.hardState).toEqual(hs(1, 9));
  });

  it('drops zeros a crash left after the last record', async () => {
    const file = await writeEntries(3);
    const { size } = await fs.stat(file);
    await fs.appendFile(file, Buffer.alloc(4096));
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(1), entry(2), entry(3)]);
    expect((await fs.stat(file)).size).toBe(size);
  });

  it('refuses a flipped byte in the middle, leaving the file as found', async () => {
    const file = await writeEntries(10);
    const offsets = await recordOffsets(file);
    const before = await fs.readFile(file);
    await flipByte(file, offsets[3] + 30);
    const err = await openError();
    expect(err).toBeInstanceOf(WalCorruptionError);
    expect(err).toMatchObject({ file, offset: offsets[3] });
    expect((err as WalCorruptionError).reason).toMatch(/checksum mismatch.*intact record follows/);
    expect((await fs.readFile(file)).length).toBe(before.length);
  });

  it('refuses a sealed payload altered behind a recomputed CRC, in the middle or at the end', async () => {
    const file = await writeEntries(6);
    const offsets = await recordOffsets(file);
    const pristine = await fs.readFile(file);
    for (const at of [offsets[4], offsets.at(-1)!]) {
      await fs.writeFile(file, pristine);
      await tamperSealed(file, at);
      const tampered = await fs.readFile(file);
      const err = await openError();
      // Not a wrong key (the key check opens), and not a torn tail (a torn write cannot
      // produce a valid CRC): corruption, even in the last record.
      expect(err).toBeInstanceOf(WalCorruptionError);
      expect(err).toMatchObject({ file, offset: at });
      expect((err as WalCorruptionError).reason).toMatch(/does not decrypt/);
      expect((await fs.readFile(file)).equals(tampered)).toBe(true);
    }
  });

  it('says the key is wrong, and touches nothing, when the first record does not decrypt', async () => {
    const file = await writeEntries(5);
    const before = await fs.readFile(file);
    const err = await openError({ cipher: otherCipher });
    expect(err).toBeInstanceOf(WalEncryptionError);
    expect(err).not.toBeInstanceOf(WalCorruptionError);
    expect((err as WalEncryptionError).kind).toBe('wrong-key');
    expect((err as Error).message).toMatch(/the WAL cannot be decrypted: wrong data key\?/);
    expect((err as Error).message).toContain(dir());
    expect((await fs.readFile(file)).equals(before)).toBe(true);
    // The right key still opens it.
    expect((await openWal()).state.entries).toHaveLength(5);
  });

  it('refuses a plain-text WAL opened with a cipher', async () => {
    await writeEntries(3, { cipher: undefined });
    const err = await openError();
    expect(err).toBeInstanceOf(WalEncryptionError);
    expect((err as WalEncryptionError).kind).toBe('not-encrypted');
    expect((err as Error).message).toMatch(/not encrypted but a data key was given/);
    expect((await openWal({ cipher: undefined })).state.entries).toHaveLength(3);
  });

  it('refuses an encrypted WAL opened without a cipher', async () => {
    await writeEntries(3);
    const err = await openError({ cipher: undefined });
    expect(err).toBeInstanceOf(WalEncryptionError);
    expect((err as WalEncryptionError).kind).toBe('no-key');
    expect((err as Error).message).toMatch(/encrypted but no data key was given/);
  });

  it('calls a later segment under another key, or in plain text, corruption', async () => {
    await writeEntries(30, { segmentBytes: 400 });
    const files = await segments();
    expect(files.length).toBeGreaterThan(2);
    const pristine = await fs.readFile(files[1]);

    // Segment 1 rewritten under another key, with consistent CRCs.
    const buf = Buffer.from(pristine);
    const reseal = new RecordEncoder(otherCipher).keyCheck(1).finish();
    const keyCheckEnd = (await recordOffsets(files[1]))[1];
    await fs.writeFile(
      files[1],
      Buffer.concat([buf.subarray(0, SEGMENT_HEADER_BYTES), reseal, buf.subarray(keyCheckEnd)]),
    );
    let err = await openError();
    expect(err).toBeInstanceOf(WalCorruptionError);
    expect(err).toMatchObject({ file: files[1], offset: SEGMENT_HEADER_BYTES });
    expect((err as WalCorruptionError).reason).toMatch(/bad key check record.*does not decrypt/);

    // Segment 0's key check copied into segment 1.
    const seg0 = await fs.readFile(files[0]);
    const seg0KeyCheckEnd = (await recordOffsets(files[0]))[1];
    await fs.writeFile(
      files[1],
      Buffer.concat([
        pristine.subarray(0, SEGMENT_HEADER_BYTES),
        seg0.subarray(SEGMENT_HEADER_BYTES, seg0KeyCheckEnd),
        pristine.subarray(keyCheckEnd),
      ]),
    );
    err = await openError();
    expect((err as WalCorruptionError).reason).toMatch(/key check is for segment 0, not 1/);

    // Segment 1 with its encryption flag cleared (same sequence and first index).
    const h = decodeSegmentHeader(pristine.subarray(0, SEGMENT_HEADER_BYTES));
    if (typeof h === 'string') throw new Error(h);
    const plainHeader = encodeSegmentHeader(h.seq, h.firstIndex, false);
    await fs.writeFile(files[1], Buffer.concat([plainHeader, pristine.subarray(keyCheckEnd)]));
    err = await openError();
    expect(err).toMatchObject({ file: files[1], offset: 0 });
    expect((err as WalCorruptionError).reason).toMatch(
      /segment is not encrypted but the segments before it are/,
    );
  });

  it('keeps releasing old segments, each remaining one still checked against the key', async () => {
    const { wal } = await openWal({ segmentBytes: 400 });
    for (let i = 1; i <= 40; i++) await wal.save(hs(1, i), [entry(i)], true);
    await wal.saveSnapshotMarker({
      index: 30,
      term: 1,
      confState: { voters: ['a'], learners: [] },
    });
    const before = (await segments()).length;
    await wal.releaseTo(30);
    expect((await segments()).length).toBeLessThan(before);
    await wal.close();
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    expect(await openError({ cipher: otherCipher })).toMatchObject({ kind: 'wrong-key' });
  });
});
