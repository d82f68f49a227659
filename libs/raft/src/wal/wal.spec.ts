import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Entry, EntryType, type HardState, type SnapshotMetadata } from '../core/types';
import { Wal } from './wal';
import { quietWalLogger, walTestDir } from './testing/wal-test-dir';

const { dir, openWal } = walTestDir('shoal-wal-');

function entry(index: number, term = 1, size = 8, type = EntryType.Normal): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type, data };
}

function range(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

const hs = (term: number, commit: number, vote = 'n1'): HardState => ({ term, vote, commit });

const marker = (index: number, term: number): SnapshotMetadata => ({
  index,
  term,
  confState: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] },
});

async function segmentFiles(): Promise<string[]> {
  return (await fs.readdir(dir())).filter((n) => n.endsWith('.wal')).sort();
}

describe('Wal', () => {
  it('starts empty with a zero hard state and one segment', async () => {
    const { wal, state } = await openWal();
    expect(state).toEqual({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
    expect(await segmentFiles()).toEqual(['0000000000000000-0000000000000001.wal']);
    await wal.close();
  });

  it('creates a missing directory, including parents', async () => {
    const nested = path.join(dir(), 'a', 'b', 'wal');
    const { wal } = await Wal.open(nested, { logger: quietWalLogger() });
    await wal.close();
    expect((await fs.stat(nested)).isDirectory()).toBe(true);
  });

  it('round-trips hard state and entries across reopen', async () => {
    const { wal } = await openWal();
    const big = entry(3, 2, 200_000);
    const entries = [
      entry(1, 1, 0),
      entry(2, 1, 5, EntryType.ConfChange),
      big,
      { ...entry(4, 2), data: new Uint8Array([0, 255, 128]) },
    ];
    await wal.save(hs(2, 2, 'n3'), entries, true);
    await wal.save(hs(2, 4, 'n3'), [], true);
    await wal.close();

    const { wal: again, state } = await openWal();
    expect(state.hardState).toEqual(hs(2, 4, 'n3'));
    expect(state.entries).toEqual(entries);
    expect(state.snapshot).toBeUndefined();
    expect(state.entries[0].data).toBeInstanceOf(Uint8Array);
    await again.save(undefined, [entry(5, 2)], true);
    await again.close();
    const { state: third } = await openWal();
    expect(third.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stores entry data from a view with a byte offset correctly', async () => {
    const { wal } = await openWal();
    const backing = Uint8Array.from({ length: 64 }, (_, i) => i);
    const view = new Uint8Array(backing.buffer, 10, 5);
    await wal.save(undefined, [{ index: 1, term: 1, type: EntryType.Normal, data: view }], true);
    await wal.close();
    const { state } = await openWal();
    expect(Array.from(state.entries[0].data)).toEqual([10, 11, 12, 13, 14]);
  });

  it('replaces a conflicting suffix on overwrite', async () => {
    const { wal } = await openWal();
    await wal.save(hs(1, 2), range(1, 6, 1), true);
    await wal.save(hs(2, 2), [entry(4, 2), entry(5, 2)], true);
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toEqual([...range(1, 3, 1), entry(4, 2), entry(5, 2)]);
    expect(state.hardState).toEqual(hs(2, 2));
  });

  it('keeps a longer replacement and later appends after an overwrite', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, range(1, 3, 1), false);
    await wal.save(undefined, range(2, 7, 3), false);
    await wal.save(undefined, [entry(8, 3)], true);
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(1, 1), ...range(2, 8, 3)]);
  });

  it('rejects input that does not continue the log, and keeps working', async () => {
    const { wal } = await openWal();
    await wal.save(hs(1, 2), range(1, 3), true);
    await expect(wal.save(undefined, [entry(5)], true)).rejects.toThrow(/gap/);
    await expect(wal.save(undefined, [entry(4), entry(6)], true)).rejects.toThrow(/contiguous/);
    await expect(wal.save(undefined, [entry(2, 2)], true)).rejects.toThrow(/committed/);
    await expect(wal.save(hs(1, 9), [], true)).rejects.toThrow(/beyond last index/);
    await expect(wal.save(undefined, [entry(0)], true)).rejects.toThrow(/index/);
    await expect(
      wal.save(undefined, [{ ...entry(4), type: 7 as EntryType }], true),
    ).rejects.toThrow(/type/);
    await wal.saveSnapshotMarker(marker(2, 1));
    await expect(wal.saveSnapshotMarker(marker(1, 1))).rejects.toThrow(/older/);
    await wal.save(hs(1, 4), [entry(3, 2), entry(4, 2)], true);
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(3, 2), entry(4, 2)]);
    expect(state.hardState).toEqual(hs(1, 4));
  });

  it('returns only entries after the snapshot marker, and the marker itself', async () => {
    const { wal } = await openWal();
    await wal.save(hs(2, 8), range(1, 10, 2), true);
    await wal.saveSnapshotMarker(marker(6, 2));
    await wal.close();
    const { state } = await openWal();
    expect(state.snapshot).toEqual(marker(6, 2));
    expect(state.entries.map((e) => e.index)).toEqual([7, 8, 9, 10]);
  });

  it('accepts a snapshot from the leader beyond the last entry', async () => {
    const { wal } = await openWal();
    await wal.save(hs(1, 2), range(1, 3), true);
    await wal.saveSnapshotMarker(marker(100, 5));
    await expect(wal.save(undefined, [entry(4, 1)], true)).rejects.toThrow(/snapshot marker/);
    await wal.save(hs(5, 100), [entry(101, 5)], true);
    await wal.close();
    const { state } = await openWal();
    expect(state.snapshot?.index).toBe(100);
    expect(state.entries).toEqual([entry(101, 5)]);
    expect(state.hardState).toEqual(hs(5, 100));
  });

  it('rolls segments, releases covered ones and keeps the state', async () => {
    const { wal } = await openWal({ segmentBytes: 4096 });
    for (let i = 1; i <= 60; i++) {
      await wal.save(hs(1, i - 1), [entry(i, 1, 1000)], true);
    }
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(10);
    files.forEach((f, seq) => expect(f.startsWith(seq.toString(16).padStart(16, '0'))).toBe(true));

    // Nothing is released without a snapshot marker covering it.
    await wal.releaseTo(40);
    expect(await segmentFiles()).toEqual(files);

    await wal.saveSnapshotMarker(marker(40, 1));
    await wal.releaseTo(40);
    const left = await segmentFiles();
    expect(left.length).toBeLessThan(files.length);
    expect(wal.stats().segments).toBe(left.length);
    // The first remaining segment still holds entries up to or beyond 41.
    const firstIndex = Number.parseInt(left[0].split('-')[1], 16);
    expect(firstIndex).toBeLessThanOrEqual(41);
    await wal.close();

    const { wal: again, state } = await openWal({ segmentBytes: 4096 });
    expect(state.hardState).toEqual(hs(1, 59));
    expect(state.snapshot).toEqual(marker(40, 1));
    expect(state.entries.map((e) => e.index)).toEqual(range(41, 60).map((e) => e.index));
    expect(state.entries[0]).toEqual(entry(41, 1, 1000));

    // Releasing everything still leaves the segment being written.
    await again.saveSnapshotMarker(marker(60, 1));
    await again.releaseTo(60);
    expect(await segmentFiles()).toHaveLength(1);
    await again.save(hs(1, 61), [entry(61, 1)], true);
    await again.close();
    const { state: last } = await openWal();
    expect(last.entries).toEqual([entry(61, 1)]);
    expect(last.hardState).toEqual(hs(1, 61));
  });

  it('keeps the hard state and marker when the segments recording them are released', async () => {
    // Segment 0 fills up with entries 1..5, the hard state and the marker.
    const { wal } = await openWal({ segmentBytes: 256 });
    await wal.save(hs(3, 5, 'n2'), range(1, 5), true);
    await wal.saveSnapshotMarker(marker(5, 1));
    // Only entries from here on: the hard state and marker records stay in segment 0.
    for (let i = 6; i <= 30; i++) await wal.save(undefined, [entry(i, 1, 600)], false);
    await wal.releaseTo(5);
    const files = await segmentFiles();
    expect(files[0].startsWith('0000000000000000-')).toBe(false);
    await wal.close();
    const { state } = await openWal();
    expect(state.hardState).toEqual(hs(3, 5, 'n2'));
    expect(state.snapshot).toEqual(marker(5, 1));
    expect(state.entries.map((e) => e.index)).toEqual(range(6, 30).map((e) => e.index));
  });

  it('caps a release at the snapshot marker', async () => {
    const logger = quietWalLogger();
    const { wal } = await openWal({ segmentBytes: 1024, logger });
    for (let i = 1; i <= 20; i++) await wal.save(undefined, [entry(i, 1, 500)], false);
    await wal.saveSnapshotMarker(marker(5, 1));
    await wal.releaseTo(18);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('capped'),
      expect.objectContaining({ requested: 18, marker: 5 }),
    );
    await wal.close();
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual(range(6, 20).map((e) => e.index));
  });

  it('group-commits concurrent saves into few fsyncs, in call order', async () => {
    const { wal } = await openWal();
    const before = wal.stats();
    const saves = Array.from({ length: 100 }, (_, k) =>
      wal.save(hs(1, k), [entry(k + 1, 1, 64)], true),
    );
    const order: number[] = [];
    saves.forEach((p, k) => void p.then(() => order.push(k)));
    await Promise.all(saves);
    const after = wal.stats();
    const fsyncs = after.fsyncs - before.fsyncs;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThanOrEqual(5);
    expect(after.writes - before.writes).toBeLessThanOrEqual(5);
    expect(order).toEqual(Array.from({ length: 100 }, (_, k) => k));
    await wal.close();
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual(range(1, 100).map((e) => e.index));
    expect(state.hardState).toEqual(hs(1, 99));
  });

  it('settles a synced save only after an fsync covering every byte written', async () => {
    const { wal } = await openWal();
    // Watch the real syscalls on the segment's FileHandle (they still run).
    const probe = await fs.open(path.join(dir(), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as {
      write: (...a: unknown[]) => Promise<{ bytesWritten: number }>;
      datasync: () => Promise<void>;
    };
    await probe.close();
    let written = 0;
    let durable = 0;
    const realWrite = proto.write;
    const realSync = proto.datasync;
    const write = vi.spyOn(proto, 'write').mockImplementation(async function (
      this: unknown,
      ...args: unknown[]
    ) {
      const r = await realWrite.apply(this, args);
      written += r.bytesWritten;
      return r;
    });
    const datasync = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: unknown) {
      const covered = written;
      await realSync.apply(this);
      durable = covered;
    });
    try {
      const violations: number[] = [];
      const saves = Array.from({ length: 50 }, (_, k) =>
        wal.save(undefined, [entry(k + 1, 1, 100)], true).then(() => {
          if (durable < written || written === 0) violations.push(k);
        }),
      );
      await Promise.all(saves);
      expect(violations).toEqual([]);
      expect(datasync).toHaveBeenCalled();
    } finally {
      write.mockRestore();
      datasync.mockRestore();
    }
  });

  it('does not fsync unsynced saves, and fsyncs them on close', async () => {
    const { wal } = await openWal();
    const before = wal.stats().fsyncs;
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)], false);
    expect(wal.stats().fsyncs).toBe(before);
    await wal.save(undefined, [], true);
    expect(wal.stats().fsyncs).toBe(before + 1);
    // Nothing new was written, so there is nothing to fsync.
    await wal.save(undefined, [], true);
    expect(wal.stats().fsyncs).toBe(before + 1);
    await wal.save(undefined, [entry(11)], false);
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toHaveLength(11);
  });

  it('never fsyncs with fsync: false', async () => {
    const { wal } = await openWal({ fsync: false, segmentBytes: 512 });
    for (let i = 1; i <= 20; i++) await wal.save(hs(1, i), [entry(i, 1, 100)], true);
    await wal.saveSnapshotMarker(marker(10, 1));
    await wal.releaseTo(10);
    expect(wal.stats()).toMatchObject({ fsyncs: 0, dirSyncs: 0 });
  });

  it('refuses calls after close; close is idempotent', async () => {
    const { wal } = await openWal();
    const pending = wal.save(undefined, [entry(1)], false);
    await wal.close();
    await pending;
    await wal.close();
    await expect(wal.save(undefined, [entry(2)], true)).rejects.toThrow(/closed/);
    await expect(wal.saveSnapshotMarker(marker(1, 1))).rejects.toThrow(/closed/);
    await expect(wal.releaseTo(1)).rejects.toThrow(/closed/);
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(1)]);
  });

  it('encodes saves at call time, so callers may reuse their objects', async () => {
    const { wal } = await openWal();
    const e = entry(1);
    const h = hs(1, 0);
    const p = wal.save(h, [e], true);
    e.data.fill(0);
    e.term = 99;
    h.term = 99;
    await p;
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toEqual([entry(1)]);
    expect(state.hardState).toEqual(hs(1, 0));
  });

  it('rejects a bad segmentBytes', async () => {
    await expect(Wal.open(dir(), { segmentBytes: 0 })).rejects.toThrow(RangeError);
  });
});

describe('Wal snapshot markers and the tail after them', () => {
  it('keeps entries after a marker that continues the same history (own compaction)', async () => {
    const { wal } = await openWal();
    await wal.save(hs(2, 6), [...range(1, 3, 1), ...range(4, 8, 2)], true);
    await wal.saveSnapshotMarker(marker(6, 2));
    await wal.close();
    const { state } = await openWal();
    expect(state.entries.map((e) => e.index)).toEqual([7, 8]);
  });

  it('drops a stale tail after a marker from a leader whose history replaced ours', async () => {
    const { wal } = await openWal();
    // Uncommitted term-3 entries; then the leader's snapshot at 5 (term 5) replaces them.
    await wal.save(hs(3, 1), range(1, 10, 3), true);
    await wal.save(hs(5, 5), [], true);
    await wal.saveSnapshotMarker(marker(5, 5));
    await wal.close();
    const { state } = await openWal();
    expect(state.entries).toEqual([]);
    expect(state.snapshot?.index).toBe(5);
  });
});
