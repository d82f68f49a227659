import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aesGcmCipher } from '@shoal/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Snapshot } from '../core/types';
import { crc32c } from '../wal/crc32c';
import { snapshotFileName } from './snapshot.codec';
import { SnapshotCorruptionError, SnapshotEncryptionError } from './snapshot.errors';
import { SnapshotStore } from './snapshot.store';

let dir: string;

beforeEach(async () => {
  dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-snap-')), 'snap');
});

afterEach(async () => {
  await fs.rm(path.dirname(dir), { recursive: true, force: true });
});

function logger() {
  return { warn: vi.fn(), info: vi.fn() };
}

function snap(index: number, term: number, size = 100): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + index) & 0xff;
  return {
    metadata: { index, term, confState: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } },
    data,
  };
}

async function snapFiles(): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

describe('SnapshotStore', () => {
  it('returns undefined when there is no snapshot, creating the directory', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    expect(await store.loadLatest()).toBeUndefined();
    expect(await snapFiles()).toEqual([]);
  });

  it('round-trips a snapshot, including a 10 MiB payload', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    const small = snap(5, 1, 0);
    await store.save(small);
    expect(await store.loadLatest()).toEqual(small);

    const big = snap(1000, 3, 10 * 1024 * 1024);
    await store.save(big);
    const loaded = await new SnapshotStore(dir, { logger: logger() }).loadLatest();
    expect(loaded?.metadata).toEqual(big.metadata);
    expect(loaded?.data.length).toBe(big.data.length);
    expect(Buffer.from(loaded!.data).equals(Buffer.from(big.data))).toBe(true);
    expect(await snapFiles()).toEqual([
      snapshotFileName(small.metadata),
      snapshotFileName(big.metadata),
    ]);
  });

  it('names files by term then index so the newest sorts last', async () => {
    const store = new SnapshotStore(dir, { logger: logger(), keep: 10 });
    await store.save(snap(300, 2));
    await store.save(snap(20, 1));
    await store.save(snap(4000, 2));
    await store.save(snap(4001, 10));
    expect(await snapFiles()).toEqual([
      '0000000000000001-0000000000000014.snap',
      '0000000000000002-000000000000012c.snap',
      '0000000000000002-0000000000000fa0.snap',
      '000000000000000a-0000000000000fa1.snap',
    ]);
    expect((await store.loadLatest())?.metadata.index).toBe(4001);
  });

  it('ignores and removes a temp file left by a crash', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    await store.save(snap(10, 1));
    const tmp = path.join(dir, snapshotFileName(snap(20, 2).metadata) + '.tmp');
    await fs.writeFile(tmp, Buffer.alloc(50, 7));

    const reopened = new SnapshotStore(dir, { logger: logger() });
    expect((await reopened.loadLatest())?.metadata.index).toBe(10);
    expect(await snapFiles()).toEqual([snapshotFileName(snap(10, 1).metadata)]);
  });

  it('leaves no temp file behind after a save', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    await store.save(snap(1, 1));
    expect((await snapFiles()).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('falls back to the previous snapshot when the newest is corrupt, and says so', async () => {
    const log = logger();
    const store = new SnapshotStore(dir, { logger: log });
    await store.save(snap(10, 1));
    await store.save(snap(20, 1));
    const newest = path.join(dir, snapshotFileName(snap(20, 1).metadata));
    const buf = await fs.readFile(newest);
    buf[buf.length - 30] ^= 0xff;
    await fs.writeFile(newest, buf);

    const loaded = await store.loadLatest();
    expect(loaded).toEqual(snap(10, 1));
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('corrupt'),
      expect.objectContaining({ file: newest, reason: 'checksum mismatch' }),
    );
  });

  it('treats a truncated newest file or a renamed one as corrupt', async () => {
    const log = logger();
    const store = new SnapshotStore(dir, { logger: log });
    await store.save(snap(10, 1));
    await store.save(snap(20, 1));
    await fs.truncate(path.join(dir, snapshotFileName(snap(20, 1).metadata)), 40);
    await fs.copyFile(
      path.join(dir, snapshotFileName(snap(10, 1).metadata)),
      path.join(dir, snapshotFileName(snap(30, 1).metadata)),
    );
    expect((await store.loadLatest())?.metadata.index).toBe(10);
    expect(log.warn).toHaveBeenCalledTimes(2);
  });

  it('throws when snapshot files exist but none verifies', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    await store.save(snap(10, 1));
    await fs.writeFile(path.join(dir, snapshotFileName(snap(10, 1).metadata)), 'garbage');
    await expect(store.loadLatest()).rejects.toBeInstanceOf(SnapshotCorruptionError);
  });

  it('purges all but the newest `keep` snapshots', async () => {
    const store = new SnapshotStore(dir, { logger: logger(), keep: 2 });
    for (let i = 1; i <= 5; i++) await store.save(snap(i * 10, 1));
    expect(await snapFiles()).toEqual([
      snapshotFileName(snap(40, 1).metadata),
      snapshotFileName(snap(50, 1).metadata),
    ]);
    const defaults = new SnapshotStore(dir, { logger: logger() });
    for (let i = 6; i <= 9; i++) await defaults.save(snap(i * 10, 1));
    expect(await snapFiles()).toHaveLength(3);
    expect((await defaults.loadLatest())?.metadata.index).toBe(90);
  });

  it('serialises concurrent saves', async () => {
    const store = new SnapshotStore(dir, { logger: logger(), keep: 2 });
    await Promise.all([1, 2, 3, 4].map((i) => store.save(snap(i, 1, 1000))));
    expect(await snapFiles()).toHaveLength(2);
    expect((await store.loadLatest())?.metadata.index).toBe(4);
  });

  it('rejects invalid input', async () => {
    const store = new SnapshotStore(dir, { logger: logger() });
    await expect(
      store.save({ ...snap(1, 1), metadata: { ...snap(1, 1).metadata, index: -1 } }),
    ).rejects.toThrow(RangeError);
    expect(() => new SnapshotStore(dir, { keep: 0 })).toThrow(RangeError);
  });
});

describe('SnapshotStore with a cipher', () => {
  const cipher = aesGcmCipher(Buffer.alloc(32, 0x33));
  const otherCipher = aesGcmCipher(Buffer.alloc(32, 0x44));

  /** A snapshot whose data and member names are easy to look for in the file. */
  function secretSnap(index: number, term: number): Snapshot {
    return {
      metadata: { index, term, confState: { voters: ['VOTER-1', 'VOTER-2'], learners: ['LRN'] } },
      data: new Uint8Array(Buffer.from(`STATE-MACHINE-BYTES-${index}`.repeat(20))),
    };
  }

  function file(s: Snapshot): string {
    return path.join(dir, snapshotFileName(s.metadata));
  }

  /** Rewrites the trailing CRC so only the cipher can notice a change. */
  async function rewriteWithCrc(f: string, edit: (b: Buffer) => Buffer): Promise<void> {
    const b = edit(await fs.readFile(f));
    b.writeUInt32LE(crc32c(b.subarray(0, b.length - 4)), b.length - 4);
    await fs.writeFile(f, b);
  }

  it('round-trips, including a 10 MiB payload, leaving only index and term in the clear', async () => {
    const store = new SnapshotStore(dir, { logger: logger(), cipher });
    const s = secretSnap(5, 2);
    await store.save(s);
    expect(await new SnapshotStore(dir, { logger: logger(), cipher }).loadLatest()).toEqual(s);
    const raw = await fs.readFile(file(s));
    for (const secret of ['STATE-MACHINE', 'VOTER', 'LRN', 'confState']) {
      expect(raw.includes(secret)).toBe(false);
    }
    expect(raw.includes('{"index":5,"term":2}')).toBe(true);

    const big = snap(1000, 3, 10 * 1024 * 1024);
    await store.save(big);
    const loaded = await new SnapshotStore(dir, { logger: logger(), cipher }).loadLatest();
    expect(loaded?.metadata).toEqual(big.metadata);
    expect(Buffer.from(loaded!.data).equals(Buffer.from(big.data))).toBe(true);
  });

  it('says the key is wrong when no snapshot decrypts', async () => {
    const store = new SnapshotStore(dir, { logger: logger(), cipher });
    await store.save(secretSnap(10, 1));
    await store.save(secretSnap(20, 1));
    const err = await new SnapshotStore(dir, { logger: logger(), cipher: otherCipher })
      .loadLatest()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotEncryptionError);
    expect(err).toMatchObject({ kind: 'wrong-key' });
    expect((err as Error).message).toMatch(/cannot be decrypted: wrong data key\?/);
  });

  it('refuses a plain-text snapshot read with a cipher, and an encrypted one read without', async () => {
    await new SnapshotStore(dir, { logger: logger() }).save(secretSnap(10, 1));
    const withKey = new SnapshotStore(dir, { logger: logger(), cipher });
    await expect(withKey.loadLatest()).rejects.toMatchObject({
      name: 'SnapshotEncryptionError',
      kind: 'not-encrypted',
      file: file(secretSnap(10, 1)),
    });

    await fs.rm(file(secretSnap(10, 1)));
    await withKey.save(secretSnap(20, 1));
    const err = await new SnapshotStore(dir, { logger: logger() })
      .loadLatest()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotEncryptionError);
    expect(err).toMatchObject({ kind: 'no-key' });
    expect((err as Error).message).toMatch(/encrypted but no data key was given/);
  });

  it('falls back to the previous snapshot when the newest was damaged or altered', async () => {
    const log = logger();
    const store = new SnapshotStore(dir, { logger: log, cipher, keep: 5 });
    await store.save(secretSnap(10, 1));
    await store.save(secretSnap(20, 1));
    await store.save(secretSnap(30, 1));

    // A flipped bit: the CRC catches it.
    const b30 = await fs.readFile(file(secretSnap(30, 1)));
    b30[b30.length - 30] ^= 0xff;
    await fs.writeFile(file(secretSnap(30, 1)), b30);
    // An edit behind a recomputed CRC: only the cipher catches it.
    await rewriteWithCrc(file(secretSnap(20, 1)), (b) => {
      b[b.length - 30] ^= 0xff;
      return b;
    });

    expect(await store.loadLatest()).toEqual(secretSnap(10, 1));
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('corrupt'),
      expect.objectContaining({ file: file(secretSnap(30, 1)), reason: 'checksum mismatch' }),
    );
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('corrupt'),
      expect.objectContaining({
        file: file(secretSnap(20, 1)),
        reason: expect.stringMatching(/does not decrypt/),
      }),
    );
  });

  it('binds the sealed data to the index and term in the clear', async () => {
    const log = logger();
    const store = new SnapshotStore(dir, { logger: log, cipher });
    await store.save(secretSnap(5, 1));
    await store.save(secretSnap(10, 1));
    // Claim the sealed data is snapshot 99 (same JSON length, CRC fixed, file renamed).
    const moved = path.join(dir, snapshotFileName(secretSnap(99, 1).metadata));
    await fs.rename(file(secretSnap(10, 1)), moved);
    await rewriteWithCrc(moved, (b) => {
      b.write('"index":99', b.indexOf('"index":10'), 'latin1');
      return b;
    });
    expect(await store.loadLatest()).toEqual(secretSnap(5, 1));
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('corrupt'),
      expect.objectContaining({ file: moved, reason: expect.stringMatching(/does not decrypt/) }),
    );
  });
});
