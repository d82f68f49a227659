import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { formatFsync, probeFsync } from './fsync.probe';
import { describeMachine, formatMachine } from './machine';

describe('describeMachine', () => {
  it('describes cores, memory, node and the temp dir filesystem', () => {
    const m = describeMachine(os.tmpdir());
    expect(m.logicalCpus).toBeGreaterThan(0);
    expect(m.memoryBytes).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    if (process.platform === 'linux') expect(m.fs?.type).toBeTruthy();
    const text = formatMachine(m);
    expect(text).toContain('cpu:');
    expect(text).toContain(os.tmpdir());
  });

  it('tolerates a directory that does not exist', () => {
    expect(describeMachine('/nonexistent/dir').fs).toBeUndefined();
  });
});

describe('probeFsync', () => {
  it.each(['append', 'overwrite'] as const)('measures write+fdatasync (%s)', (mode) => {
    const r = probeFsync({ count: 20, sizeBytes: 512, mode });
    expect(r.latencyMs.count).toBe(20);
    expect(r.latencyMs.min).toBeGreaterThan(0);
    expect(r.opsPerSec).toBeGreaterThan(0);
    expect(formatFsync(r)).toContain(mode);
  });
});
