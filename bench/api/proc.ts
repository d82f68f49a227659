import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the kernel says about a server process: resident memory from /proc/<pid>/status and
 * CPU time from /proc/<pid>/stat. Both cover all threads, so dockerd's embedded swarmkit
 * manager and shoald's libuv pool are included.
 */

export interface ProcMemory {
  /** VmRSS: resident now. */
  rssBytes: number;
  /** VmHWM: the peak resident size so far. */
  hwmBytes: number;
}

/** Parses the `VmRSS:` and `VmHWM:` lines (in kB) of /proc/<pid>/status. */
export function parseProcStatus(text: string): ProcMemory {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s*(\\d+)\\s*kB\\s*$`, 'm').exec(text);
    if (!m) throw new Error(`no ${field} line in /proc/<pid>/status (a zombie or kernel thread?)`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/**
 * USER_HZ: the unit of utime/stime in /proc/<pid>/stat. It is part of the Linux ABI and 100 on
 * every architecture Node runs on, whatever the kernel's internal HZ.
 */
export const USER_HZ = 100;

/**
 * utime + stime of /proc/<pid>/stat, in ms. The command name (field 2) is in parentheses and
 * may itself hold spaces and parentheses, so fields are counted after the last ')'.
 */
export function parseProcStatCpuMs(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc/<pid>/stat');
  // After ')' come field 3 (state) onwards; utime and stime are fields 14 and 15.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error('malformed /proc/<pid>/stat');
  }
  return ((utime + stime) * 1000) / USER_HZ;
}

export function readProcMemory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

export function readProcCpuMs(pid: number): number {
  return parseProcStatCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Pids whose /proc/<pid>/comm is exactly `name` (e.g. "dockerd"). */
export function pidsByComm(name: string, procDir = '/proc'): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`${procDir}/${entry}/comm`, 'utf8').trim() === name) pids.push(+entry);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
