import { Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AtRestCipher, aesGcmCipher } from '@shoal/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Entry, EntryType, type HardState, type SnapshotMetadata } from '../core/types';
import { Wal } from './wal';
import { WalCorruptionError } from './wal.errors';
import { type WalState } from './wal.types';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-wal-prop-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const quiet = { warn: () => undefined, info: () => undefined };
const cipher = aesGcmCipher(Buffer.alloc(32, 0x5c));

function entry(index: number, term: number, size: number): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 13 + term * 101 + i * 7) & 0xff;
  return { index, term, type: index % 7 === 0 ? EntryType.ConfChange : EntryType.Normal, data };
}

// ---------------------------------------------------------------------------------------
// Model-based: random Raft-like histories, checked against an in-memory model on reopen.

type Op =
  | {
      kind: 'append';
      back: number;
      count: number;
      bump: boolean;
      size: number;
      hs: boolean;
      step: number;
      sync: boolean;
      wait: boolean;
    }
  | { kind: 'hs'; step: number; bump: boolean; sync: boolean; wait: boolean }
  | { kind: 'marker'; mode: 'compact' | 'beyond' | 'inside'; step: number; wait: boolean }
  | { kind: 'release'; back: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.oneof(fc.constant(0), fc.nat(6)),
      count: fc.integer({ min: 1, max: 4 }),
      bump: fc.boolean(),
      size: fc.oneof(fc.nat(40), fc.constant(0), fc.integer({ min: 200, max: 700 })),
      hs: fc.boolean(),
      step: fc.nat(3),
      sync: fc.boolean(),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hs' as const),
      step: fc.nat(3),
      bump: fc.boolean(),
      sync: fc.boolean(),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('marker' as const),
      mode: fc.constantFrom('compact' as const, 'beyond' as const, 'inside' as const),
      step: fc.nat(5),
      wait: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), back: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
);

/** What a reopened WAL must return: entries after the marker, overwrite semantics applied. */
class Model {
  log: Entry[] = [];
  hs: HardState | undefined;
  marker: SnapshotMetadata | undefined;
  commit = 0;
  term = 1;

  lastIndex(): number {
    return this.log.length > 0 ? this.log[this.log.length - 1].index : (this.marker?.index ?? 0);
  }

  append(start: number, entries: Entry[]): void {
    this.log = this.log.filter((e) => e.index < start).concat(entries);
  }

  setMarker(m: SnapshotMetadata): void {
    this.marker = m;
    if (this.log.length === 0 || m.index < this.log[0].index) return;
    // Entries after the marker survive only if they continue the snapshot's history.
    const atMarker = this.log.find((e) => e.index === m.index);
    this.log = atMarker?.term === m.term ? this.log.filter((e) => e.index > m.index) : [];
  }

  expected(): WalState {
    const s: WalState = {
      hardState: this.hs ?? { term: 0, vote: '', commit: 0 },
      entries: this.log,
    };
    if (this.marker) s.snapshot = this.marker;
    return s;
  }
}

async function runHistory(ops: Op[], segmentBytes: number, cipher?: AtRestCipher): Promise<void> {
  const dir = await fs.mkdtemp(path.join(root, 'h-'));
  const opts = { segmentBytes, fsync: false, logger: quiet, cipher };
  let { wal } = await Wal.open(dir, opts);
  const m = new Model();
  let pending: Promise<void>[] = [];
  const settle = async () => {
    await Promise.all(pending);
    pending = [];
  };
  try {
    for (const op of ops) {
      if (op.kind === 'append') {
        const last = m.lastIndex();
        const floor = Math.max(m.commit, m.marker?.index ?? 0);
        const start = Math.max(floor + 1, last + 1 - op.back);
        if (op.bump) m.term++;
        const entries = Array.from({ length: op.count }, (_, k) =>
          entry(start + k, m.term, op.size),
        );
        const newLast = start + op.count - 1;
        let hs: HardState | undefined;
        if (op.hs) {
          m.commit = Math.min(newLast, m.commit + op.step);
          hs = { term: m.term, vote: `n${m.term % 3}`, commit: m.commit };
          m.hs = hs;
        }
        m.append(start, entries);
        const p = wal.save(hs, entries, op.sync);
        if (op.wait) await p;
        else pending.push(p);
      } else if (op.kind === 'hs') {
        if (op.bump) m.term++;
        m.commit = Math.min(m.lastIndex(), m.commit + op.step);
        const hs = { term: m.term, vote: '', commit: m.commit };
        m.hs = hs;
        const p = wal.save(hs, [], op.sync);
        if (op.wait) await p;
        else pending.push(p);
      } else if (op.kind === 'marker') {
        const cur = m.marker?.index ?? 0;
        let meta: SnapshotMetadata;
        if (op.mode === 'compact') {
          const s = Math.max(cur, Math.min(m.commit, cur + op.step));
          const term = s === cur ? (m.marker?.term ?? 0) : m.log.find((e) => e.index === s)!.term;
          meta = { index: s, term, confState: { voters: ['a', 'b'], learners: [] } };
        } else if (op.mode === 'beyond' || m.commit >= m.lastIndex()) {
          m.term++;
          meta = {
            index: m.lastIndex() + 1 + op.step,
            term: m.term,
            confState: { voters: ['a'], learners: ['z'] },
          };
        } else {
          // A snapshot from a new leader that conflicts with our uncommitted tail.
          m.term++;
          const s = Math.min(m.lastIndex(), Math.max(cur, m.commit) + 1 + op.step);
          meta = { index: s, term: m.term, confState: { voters: ['b'], learners: [] } };
        }
        m.setMarker(meta);
        const p = wal.saveSnapshotMarker(meta);
        if (op.wait) await p;
        else pending.push(p);
      } else if (op.kind === 'release') {
        await wal.releaseTo(Math.max(0, m.lastIndex() - op.back));
      } else {
        await settle();
        await wal.close();
        const r = await Wal.open(dir, opts);
        wal = r.wal;
        expect(r.state).toEqual(m.expected());
      }
    }
    await settle();
    await wal.close();
    const { wal: last, state } = await Wal.open(dir, opts);
    wal = last;
    expect(state).toEqual(m.expected());
  } finally {
    await wal.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('Wal properties', () => {
  it('reopens to the same state as an in-memory model after random histories', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(256, 1024, 1 << 20),
        (ops, segmentBytes) => runHistory(ops, segmentBytes),
      ),
      { numRuns: 80 },
    );
  });

  it('reopens encrypted WALs to the same state as the model after random histories', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(256, 1024, 1 << 20),
        (ops, segmentBytes) => runHistory(ops, segmentBytes, cipher),
      ),
      { numRuns: 60 },
    );
  });

  // -------------------------------------------------------------------------------------
  // Fuzz: damage a closed WAL at random. Recovery may refuse (WalCorruptionError) or recover
  // a prefix of what was written, but must never throw anything else or invent data.

  type Damage =
    | { kind: 'append'; bytes: Uint8Array }
    | { kind: 'overwrite'; segment: number; at: number; bytes: Uint8Array }
    | { kind: 'truncate'; at: number }
    | { kind: 'zero'; segment: number; at: number; length: number };

  const damageArb: fc.Arbitrary<Damage> = fc.oneof(
    fc.record({
      kind: fc.constant('append' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    }),
    fc.record({
      kind: fc.constant('overwrite' as const),
      segment: fc.nat(),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('zero' as const),
      segment: fc.nat(),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 200 }),
    }),
  );

  it.each([
    ['plain text', undefined, 200],
    ['encrypted', cipher, 100],
  ])(
    '%s: survives random damage with a clean recovery or WalCorruptionError',
    async (_, cipher, numRuns) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 30 }),
          fc.constantFrom(300, 4096),
          fc.array(damageArb, { minLength: 1, maxLength: 3 }),
          async (n, segmentBytes, damages) => {
            const dir = await fs.mkdtemp(path.join(root, 'f-'));
            const opts = { segmentBytes, fsync: false, logger: quiet, cipher };
            try {
              const { wal } = await Wal.open(dir, opts);
              const written: Entry[] = [];
              for (let i = 1; i <= n; i++) {
                const e = entry(i, 1 + (i >> 3), (i * 37) % 90);
                written.push(e);
                await wal.save({ term: 1 + (i >> 3), vote: 'a', commit: i >> 1 }, [e], i % 3 === 0);
              }
              await wal.close();

              const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
              const lastFile = path.join(dir, files[files.length - 1]);
              for (const d of damages) {
                if (d.kind === 'append') {
                  await fs.appendFile(lastFile, d.bytes);
                } else if (d.kind === 'truncate') {
                  const { size } = await fs.stat(lastFile);
                  await fs.truncate(lastFile, d.at % (size + 1));
                } else {
                  const file = path.join(dir, files[d.segment % files.length]);
                  const buf = await fs.readFile(file);
                  const at = d.at % (buf.length + 1);
                  const patch = d.kind === 'zero' ? Buffer.alloc(d.length) : Buffer.from(d.bytes);
                  const out = Buffer.concat([
                    buf.subarray(0, at),
                    patch,
                    buf.subarray(at + patch.length),
                  ]);
                  await fs.writeFile(file, out);
                }
              }

              let state: WalState;
              let reopened: Wal;
              try {
                ({ wal: reopened, state } = await Wal.open(dir, opts));
              } catch (err) {
                if (err instanceof WalCorruptionError) {
                  expect(damages.every((d) => d.kind === 'append')).toBe(false);
                  return;
                }
                throw err;
              }
              // Only a suffix of what was written can be lost, and only to a torn tail.
              expect(written.slice(0, state.entries.length)).toEqual(state.entries);
              if (damages.every((d) => d.kind === 'append')) expect(state.entries).toEqual(written);
              // And the WAL keeps working where recovery left it.
              const next = entry(state.entries.length + 1, 9, 10);
              await reopened.save(undefined, [next], true);
              await reopened.close();
              const { wal: again, state: after } = await Wal.open(dir, opts);
              await again.close();
              expect(after.entries).toEqual([...state.entries, next]);
            } finally {
              await fs.rm(dir, { recursive: true, force: true });
            }
          },
        ),
        { numRuns },
      );
    },
  );
});
