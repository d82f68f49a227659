import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarize, type Summary } from './stats';

/**
 * Raw durable-write latency of the disk behind the benchmark's data dirs. Every committed
 * Raft entry waits for at least one such write on a quorum of nodes, so this is the floor
 * under both systems' commit latency and, with batching, the unit their throughput is paid in.
 */
export interface FsyncProbeOptions {
  dir?: string;
  count?: number;
  sizeBytes?: number;
  /**
   * 'append' grows the file with every write, so fdatasync must also journal the new size:
   * the cost of a WAL that does not preallocate. 'overwrite' rewrites a preallocated,
   * already-synced file, as etcd's WAL does with its preallocated 64 MB segments.
   */
  mode?: 'append' | 'overwrite';
}

export interface FsyncProbeResult {
  dir: string;
  mode: 'append' | 'overwrite';
  count: number;
  sizeBytes: number;
  /** write + fdatasync, per operation, in ms. */
  latencyMs: Summary;
  opsPerSec: number;
}

/**
 * Synchronous on purpose: the async fs API adds a libuv thread-pool hop per call, which is
 * not part of what the disk costs.
 */
export function probeFsync(opts: FsyncProbeOptions = {}): FsyncProbeResult {
  const count = opts.count ?? 1000;
  const sizeBytes = opts.sizeBytes ?? 1024;
  const mode = opts.mode ?? 'append';
  const parent = opts.dir ?? os.tmpdir();
  const dir = mkdtempSync(path.join(parent, 'shoal-fsync-'));
  const file = path.join(dir, 'probe.dat');
  const block = Buffer.alloc(sizeBytes, 0xa5);
  const samples = new Float64Array(count);
  try {
    const fd = openSync(file, 'w');
    try {
      if (mode === 'overwrite') {
        const zeros = Buffer.alloc(sizeBytes);
        for (let i = 0; i < count; i++) writeSync(fd, zeros, 0, sizeBytes, i * sizeBytes);
        fdatasyncSync(fd);
      }
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < count; i++) {
        const s = process.hrtime.bigint();
        writeSync(fd, block, 0, sizeBytes, i * sizeBytes);
        fdatasyncSync(fd);
        samples[i] = Number(process.hrtime.bigint() - s) / 1e6;
      }
      const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
      return {
        dir: parent,
        mode,
        count,
        sizeBytes,
        latencyMs: summarize(samples),
        opsPerSec: count / (totalMs / 1000),
      };
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatFsync(r: FsyncProbeResult): string {
  const l = r.latencyMs;
  return (
    `fsync (${r.mode}, ${r.count} × ${r.sizeBytes} B write + fdatasync in ${r.dir}): ` +
    `p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms, max ${l.max.toFixed(3)} ms, ` +
    `mean ${l.mean.toFixed(3)} ms → ${Math.round(r.opsPerSec)} syncs/s`
  );
}
