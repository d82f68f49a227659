import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseProcStatCpuMs,
  parseProcStatus,
  pidsByComm,
  readProcCpuMs,
  readProcMemory,
} from './proc';

const STATUS = `Name:\tdockerd
Umask:\t0022
State:\tS (sleeping)
Pid:\t18195
VmPeak:\t 1928440 kB
VmHWM:\t   91000 kB
VmRSS:\t   87092 kB
RssAnon:\t   40000 kB
Threads:\t12
`;

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes, not VmPeak or RssAnon', () => {
    expect(parseProcStatus(STATUS)).toEqual({ rssBytes: 87092 * 1024, hwmBytes: 91000 * 1024 });
  });

  it('throws when the lines are missing (a zombie has none)', () => {
    expect(() => parseProcStatus('Name:\tx\nState:\tZ (zombie)\n')).toThrow(/VmRSS/);
  });
});

describe('parseProcStatCpuMs', () => {
  it('adds utime and stime (fields 14 and 15) in ms', () => {
    const stat = '42 (node) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1 2';
    expect(parseProcStatCpuMs(stat)).toBe(3000);
  });

  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    const stat = '42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 11 0 100 1 2';
    expect(parseProcStatCpuMs(stat)).toBe(100);
  });

  it('rejects malformed input', () => {
    expect(() => parseProcStatCpuMs('garbage')).toThrow();
    expect(() => parseProcStatCpuMs('1 (x) S 1')).toThrow();
  });
});

describe.runIf(process.platform === 'linux')('on this process', () => {
  it('reads its own memory and CPU', () => {
    const m = readProcMemory(process.pid);
    expect(m.rssBytes).toBeGreaterThan(1 << 20);
    expect(m.hwmBytes).toBeGreaterThanOrEqual(m.rssBytes);
    expect(readProcCpuMs(process.pid)).toBeGreaterThan(0);
  });
});

describe('pidsByComm', () => {
  it('matches the command name exactly and skips non-pid entries', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proc-spec-'));
    try {
      for (const [pid, comm] of [
        ['10', 'dockerd\n'],
        ['11', 'dockerd-helper\n'],
        ['12', 'containerd\n'],
        ['self', 'dockerd\n'],
      ]) {
        mkdirSync(path.join(dir, pid!));
        writeFileSync(path.join(dir, pid!, 'comm'), comm!);
      }
      mkdirSync(path.join(dir, '13')); // exited: no comm
      expect(pidsByComm('dockerd', dir)).toEqual([10]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
