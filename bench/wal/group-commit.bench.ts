/**
 * WAL group-commit benchmark: N synced saves of one 1 KiB entry each, issued one at a time,
 * 100 in flight, and all at once. Shows how many fsyncs group commit saves.
 *
 *   npm run bench:wal -- [--saves N] [--dir DIR] [--encrypt]
 *
 * --dir measures the disk the WAL will really live on (default: the OS temp dir).
 * --encrypt seals every record with AES-256-GCM under a random data key, as a WAL encrypted
 * at rest does.
 * The last line is one JSON object with the figures.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { aesGcmCipher } from '@shoal/common';
import { type Entry, EntryType } from '@shoal/raft/core/types';
import { Wal } from '@shoal/raft/wal';
import { describeMachine, formatMachine } from '../raft/machine';

const { values } = parseArgs({
  options: {
    saves: { type: 'string', default: '10000' },
    dir: { type: 'string' },
    encrypt: { type: 'boolean', default: false },
  },
});
const N = Number(values.saves);
if (!Number.isInteger(N) || N <= 0) throw new Error('--saves must be a positive integer');
const quiet = { warn: () => undefined, info: () => undefined };
const cipher = values.encrypt ? aesGcmCipher(randomBytes(32)) : undefined;

/** `window` saves in flight at a time: 1 is sequential, N is all at once. */
async function run(window: number) {
  const dir = await fs.mkdtemp(path.join(values.dir ?? os.tmpdir(), 'shoal-wal-bench-'));
  try {
    const { wal } = await Wal.open(dir, { logger: quiet, cipher });
    const data = new Uint8Array(1024).fill(42);
    const entry = (index: number): Entry => ({ index, term: 1, type: EntryType.Normal, data });
    const start = process.hrtime.bigint();
    let next = 1;
    const worker = async () => {
      // Indexes are taken in call order, so the saves still arrive in log order.
      while (next <= N) {
        const i = next++;
        await wal.save({ term: 1, vote: 'n1', commit: i - 1 }, [entry(i)], true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, N) }, worker));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const { fsyncs } = wal.stats();
    await wal.close();
    return { ms, savesPerSec: Math.round((N / ms) * 1000), fsyncs };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const machine = describeMachine(values.dir ?? os.tmpdir());
  console.log(`machine: ${formatMachine(machine)}`);
  console.log(`records: ${values.encrypt ? 'encrypted (AES-256-GCM)' : 'plain text'}`);
  const sequential = await run(1);
  const window100 = await run(100);
  const concurrent = await run(N);
  for (const [name, r] of Object.entries({ sequential, window100, concurrent })) {
    console.log(
      `${name.padEnd(11)} ${r.ms.toFixed(0).padStart(7)} ms ${String(r.savesPerSec).padStart(7)} saves/s  fsyncs ${r.fsyncs}`,
    );
  }
  console.log(
    JSON.stringify({
      saves: N,
      encrypted: values.encrypt,
      sequential_saves_s: sequential.savesPerSec,
      window100_saves_s: window100.savesPerSec,
      concurrent_saves_s: concurrent.savesPerSec,
      sequential_fsyncs: sequential.fsyncs,
      window100_fsyncs: window100.fsyncs,
      concurrent_fsyncs: concurrent.fsyncs,
      group_commit_speedup: +(concurrent.savesPerSec / sequential.savesPerSec).toFixed(2),
    }),
  );
}

void main();
