import { Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Entry, EntryType, type HardState } from '../core/types';
import { crc32c } from './crc32c';
import {
  decodeRecord,
  encodeSegmentHeader,
  RecordEncoder,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from './wal.codec';
import { WalCorruptionError } from './wal.errors';
import { type WalOptions } from './wal.types';
import { quietWalLogger, walTestDir } from './testing/wal-test-dir';

const { dir, openWal } = walTestDir('shoal-wal-rec-', { fsync: false });

function entry(index: number, term = 1, size = 16): Entry {
  const data = new Uint8Array(size).fill(index & 0xff);
  return { index, term, type: EntryType.Normal, data };
}

const hs = (term: number, commit: number): HardState => ({ term, vote: 'n2', commit });

/** Writes entries 1..n, one save each, and closes. Returns the last segment's path. */
async function writeEntries(n: number, opts: WalOptions = {}): Promise<string> {
  const { wal } = await openWal(opts);
  for (let i = 1; i <= n; i++) await wal.save(undefined, [entry(i)], true);
  await wal.close();
  const files = (await fs.readdir(dir())).filter((f) => f.endsWith('.wal')).sort();
  return path.join(dir(), files[files.length - 1]);
}

/** Byte offsets of every record in a segment file. */
async function recordOffsets(file: string): Promise<number[]> {
  const buf = await fs.readFile(file);
  const out: number[] = [];
  let off = SEGMENT_HEADER_BYTES;
  while (off < buf.length) {
    out.push(off);
    const r = decodeRecord(buf, off);
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

/** A record with a valid checksum but whatever type and payload we like. */
function rawRecord(type: number, payload: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from([type]), payload]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32c(body, crc32c(head.subarray(0, 4))), 4);
  return Buffer.concat([head, body]);
}

async function writeSegment(seq: number, firstIndex: number, records: Buffer): Promise<string> {
  const file = path.join(dir(), segmentFileName(seq, firstIndex));
  await fs.writeFile(file, Buffer.concat([encodeSegmentHeader(seq, firstIndex), records]));
  return file;
}

async function expectCorruption(file: string, offset: number | undefined, reason: RegExp) {
  const err = await openWal().then(
    () => {
      throw new Error('expected WalCorruptionError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WalCorruptionError);
  const c = err as WalCorruptionError;
  expect(c.file).toBe(file);
  expect(c.message).toContain(file);
  if (offset !== undefined) expect(c.offset).toBe(offset);
  expect(c.reason).toMatch(reason);
  return c;
}

describe('Wal recovery: torn tail', () => {
  it('truncates a last record cut mid-body and stays writable', async () => {
    const file = await writeEntries(10);
    const offsets = await recordOffsets(file);
    const lastStart = offsets[offsets.length - 1];
    const { size } = await fs.stat(file);
    await fs.truncate(file, size - 5);

    const log = quietWalLogger();
    const { wal, state } = await openWal({ logger: log });
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('torn'),
      expect.objectContaining({ file, offset: lastStart }),
    );
    expect((await fs.stat(file)).size).toBe(lastStart);

    await wal.save(hs(1, 11), [entry(10, 2), entry(11, 2)], true);
    await wal.close();
    const { state: again } = await openWal();
    expect(again.entries.map((e) => [e.index, e.term])).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => [i, 1]),
      [10, 2],
      [11, 2],
    ]);
    expect(again.hardState).toEqual(hs(1, 11));
  });

  it('truncates a last record cut inside its header', async () => {
    const file = await writeEntries(4);
    const offsets = await recordOffsets(file);
    await fs.truncate(file, offsets[3] + 3);
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect((await fs.stat(file)).size).toBe(offsets[3]);
  });

  it('truncates a last record whose bytes were flipped', async () => {
    const file = await writeEntries(6);
    const offsets = await recordOffsets(file);
    const { size } = await fs.stat(file);
    await flipByte(file, size - 3);
    await flipByte(file, offsets[5] + 20);
    const { wal, state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    await wal.save(undefined, [entry(6)], true);
    await wal.close();
    expect((await openWal()).state.entries).toHaveLength(6);
  });

  it('drops zeros a crash left after the last record', async () => {
    const file = await writeEntries(3);
    const { size } = await fs.stat(file);
    await fs.appendFile(file, Buffer.alloc(4096));
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(1), entry(2), entry(3)]);
    expect((await fs.stat(file)).size).toBe(size);
  });

  it('treats a bad record followed only by zeros as torn', async () => {
    const file = await writeEntries(5);
    const offsets = await recordOffsets(file);
    await flipByte(file, offsets[4] + 12);
    await fs.appendFile(file, Buffer.alloc(100));
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
  });

  it('removes a segment file left half-created', async () => {
    await writeEntries(2);
    const tmp = path.join(dir(), segmentFileName(1, 3) + '.tmp');
    await fs.writeFile(tmp, Buffer.alloc(10));
    const { state } = await openWal();
    expect(state.entries).toHaveLength(2);
    await expect(fs.stat(tmp)).rejects.toThrow(/ENOENT/);
  });
});

describe('Wal recovery: corruption', () => {
  it('refuses a flipped byte in an early record and names the file and offset', async () => {
    const file = await writeEntries(10);
    const offsets = await recordOffsets(file);
    const before = await fs.readFile(file);
    await flipByte(file, offsets[1] + 20);
    await expectCorruption(file, offsets[1], /checksum mismatch.*intact record follows/);
    // The evidence is left untouched.
    expect((await fs.readFile(file)).length).toBe(before.length);
  });

  it('refuses an early record whose length now runs past the end of the file', async () => {
    const file = await writeEntries(10);
    const offsets = await recordOffsets(file);
    const buf = await fs.readFile(file);
    buf.writeUInt32LE(0x00ffffff, offsets[2]);
    await fs.writeFile(file, buf);
    await expectCorruption(file, offsets[2], /runs past end of file.*intact record follows/);
  });

  it('refuses a bad record in a segment that is not the last, even at its end', async () => {
    await writeEntries(40, { segmentBytes: 512 });
    const files = (await fs.readdir(dir())).filter((f) => f.endsWith('.wal')).sort();
    expect(files.length).toBeGreaterThan(2);
    const first = path.join(dir(), files[0]);
    const offsets = await recordOffsets(first);
    const { size } = await fs.stat(first);
    await fs.truncate(first, size - 4);
    await expectCorruption(first, offsets[offsets.length - 1], /not the last/);
  });

  it('refuses a bad segment header', async () => {
    const file = await writeEntries(3);
    await flipByte(file, 2);
    await expectCorruption(file, 0, /magic/);
  });

  it('refuses a segment whose header disagrees with its name', async () => {
    const file = await writeEntries(2);
    const buf = await fs.readFile(file);
    encodeSegmentHeader(0, 7).copy(buf, 0);
    await fs.writeFile(file, buf);
    await expectCorruption(file, 0, /does not match the file name/);
  });

  it('refuses a missing segment in the sequence', async () => {
    await writeEntries(40, { segmentBytes: 512 });
    const files = (await fs.readdir(dir())).filter((f) => f.endsWith('.wal')).sort();
    await fs.rm(path.join(dir(), files[1]));
    await expectCorruption(path.join(dir(), files[2]), 0, /sequence 1 is missing/);
  });

  it('refuses a gap in entry indexes', async () => {
    const recs = new RecordEncoder().entry(entry(1)).entry(entry(2)).entry(entry(4)).finish();
    const file = await writeSegment(0, 1, recs);
    const offsets = await recordOffsets(file);
    await expectCorruption(file, offsets[2], /entry 4 does not follow entry 2/);
  });

  it('refuses a log that does not start at index 1 without a snapshot marker', async () => {
    const file = await writeSegment(0, 1, new RecordEncoder().entry(entry(3)).finish());
    await expectCorruption(file, undefined, /entries 1..2 missing/);
  });

  it('refuses an unknown record type even with a valid checksum', async () => {
    const recs = Buffer.concat([
      new RecordEncoder().entry(entry(1)).finish(),
      rawRecord(42, new Uint8Array(10)),
      new RecordEncoder().entry(entry(2)).finish(),
    ]);
    const file = await writeSegment(0, 1, recs);
    const offsets = [SEGMENT_HEADER_BYTES, SEGMENT_HEADER_BYTES + 8 + 18 + 16];
    await expectCorruption(file, offsets[1], /unknown record type 42/);
  });

  it('refuses a malformed payload with a valid checksum', async () => {
    const file = await writeSegment(0, 1, rawRecord(1, new Uint8Array(5)));
    await expectCorruption(file, SEGMENT_HEADER_BYTES, /entry record too short/);
  });

  it('refuses when a committed entry is missing', async () => {
    const recs = new RecordEncoder()
      .entry(entry(1))
      .entry(entry(2))
      .entry(entry(3))
      .hardState(hs(1, 5))
      .finish();
    const file = await writeSegment(0, 1, recs);
    const err = await expectCorruption(file, undefined, /committed entry 4 missing/);
    expect(err.message).toMatch(/commit index 5/);
  });

  it('refuses when a torn tail would drop a committed entry', async () => {
    // A hard state claiming commit 3 before entry 3 was durable: the writer never produces
    // this order, so losing entry 3 to a torn tail must not pass silently.
    const recs = new RecordEncoder().entry(entry(1)).entry(entry(2)).hardState(hs(1, 3)).finish();
    const file = await writeSegment(0, 1, Buffer.concat([recs, rawRecord(1, new Uint8Array(3))]));
    await fs.truncate(file, (await fs.stat(file)).size - 2);
    await expectCorruption(file, undefined, /committed entry 3 missing/);
  });

  it('refuses an overwrite of a committed entry', async () => {
    const recs = new RecordEncoder()
      .entry(entry(1))
      .entry(entry(2))
      .hardState(hs(1, 2))
      .entry(entry(2, 2))
      .finish();
    const file = await writeSegment(0, 1, recs);
    await expectCorruption(file, undefined, /overwrites a committed entry/);
  });
});
