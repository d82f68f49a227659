import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import { type TaskStats } from '../executor.port';
import { type ProcessIdentity } from './proc';

/** AT_CLKTCK in the ELF auxiliary vector: the kernel's USER_HZ, the unit of /proc times. */
const AT_CLKTCK = 17;
/** USER_HZ on every architecture Node.js runs on; used only when auxv cannot be read. */
const DEFAULT_CLK_TCK = 100;
/** Files read at once while scanning /proc: enough to be quick, few enough fds. */
const SCAN_CONCURRENCY = 32;

const WORD_32_ARCHES = new Set(['arm', 'ia32', 'mips', 'mipsel', 'ppc']);

/**
 * USER_HZ from /proc/self/auxv (what sysconf(_SC_CLK_TCK) returns, without a `getconf`
 * child), or undefined when the vector is unreadable or has no AT_CLKTCK entry.
 */
export function clockTicksFromAuxv(
  auxv: Buffer,
  wordBytes: 4 | 8,
  endianness: 'LE' | 'BE',
): number | undefined {
  const read = (at: number): bigint =>
    wordBytes === 8
      ? endianness === 'LE'
        ? auxv.readBigUInt64LE(at)
        : auxv.readBigUInt64BE(at)
      : BigInt(endianness === 'LE' ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at));
  for (let at = 0; at + 2 * wordBytes <= auxv.length; at += 2 * wordBytes) {
    const type = read(at);
    if (type === 0n) return undefined; // AT_NULL ends the vector
    if (type === BigInt(AT_CLKTCK)) {
      const hz = Number(read(at + wordBytes));
      return hz > 0 ? hz : undefined;
    }
  }
  return undefined;
}

let clockTicks: Promise<number> | undefined;

/** The clock ticks per second of /proc/<pid>/stat's times, read once per process. */
export function clockTicksPerSecond(): Promise<number> {
  clockTicks ??= (async () => {
    try {
      const auxv = await readFile('/proc/self/auxv');
      const hz = clockTicksFromAuxv(
        auxv,
        WORD_32_ARCHES.has(process.arch) ? 4 : 8,
        os.endianness(),
      );
      if (hz !== undefined) return hz;
    } catch {
      // no /proc: try getconf below
    }
    return new Promise<number>((resolve) => {
      execFile('getconf', ['CLK_TCK'], { timeout: 2_000 }, (err, stdout) => {
        const hz = Number(String(stdout).trim());
        resolve(!err && Number.isInteger(hz) && hz > 0 ? hz : DEFAULT_CLK_TCK);
      });
    });
  })();
  return clockTicks;
}

/** The fields of /proc/<pid>/stat that stats need. */
export interface ProcStat {
  pid: number;
  /** Field 3. */
  state: string;
  /** Field 6: the session ID. */
  session: number;
  /** Fields 14–17: utime + stime + cutime + cstime (reaped children's time included). */
  cpuTicks: number;
  /** Field 22. */
  startTime: string;
}

/**
 * Parses /proc/<pid>/stat. Field 2 (comm) is in parentheses and may hold spaces or
 * parentheses itself, so fields are counted after the last ')'.
 */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // rest[0] is field 3, so field n is rest[n - 3].
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (rest.length < 20) return undefined;
  const num = (field: number) => Number(rest[field - 3]);
  const cpuTicks = num(14) + num(15) + num(16) + num(17);
  const session = num(6);
  if (!Number.isFinite(cpuTicks) || !Number.isFinite(session)) return undefined;
  return { pid, state: rest[0]!, session, cpuTicks, startTime: rest[19]! };
}

/** VmRSS of /proc/<pid>/status in bytes; 0 for a zombie or a kernel thread, which have none. */
export function parseVmRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

async function readOr<T>(path: string, parse: (text: string) => T): Promise<T | undefined> {
  try {
    return parse(await readFile(path, 'utf8'));
  } catch {
    return undefined; // the process ended meanwhile
  }
}

/** Runs `fn` on every item, `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/** /proc/<pid>/stat of every process there is, grouped by session. */
async function processesBySession(): Promise<Map<number, ProcStat[]>> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const bySession = new Map<number, ProcStat[]>();
  await eachLimited(pids, SCAN_CONCURRENCY, async (pid) => {
    const stat = await readOr(`/proc/${pid}/stat`, (t) => parseProcStat(pid, t));
    if (!stat) return;
    const list = bySession.get(stat.session);
    if (list) list.push(stat);
    else bySession.set(stat.session, [stat]);
  });
  return bySession;
}

/**
 * CPU time and resident memory of each task's process tree. The process executor starts a
 * task detached, which makes it the leader of a new session (setsid), and everything it
 * starts stays in that session unless it calls setsid itself: so a task is its session's
 * processes, found in one scan of /proc for all the tasks. CPU counts each member's own time
 * and that of the children it reaped; memory is the sum of the members' VmRSS (pages they
 * share count once per member, as `ps` would show). A task whose leader is gone, or whose
 * pid now belongs to another process (start time differs), is left out.
 */
export async function readSessionStats(
  tasks: ReadonlyMap<string, ProcessIdentity>,
): Promise<Map<string, TaskStats>> {
  const out = new Map<string, TaskStats>();
  if (tasks.size === 0) return out;
  const [hz, bySession] = await Promise.all([clockTicksPerSecond(), processesBySession()]);
  await Promise.all(
    [...tasks].map(async ([taskId, id]) => {
      const members = bySession.get(id.pid) ?? [];
      const leader = members.find((p) => p.pid === id.pid);
      if (!leader || (id.startTime !== null && leader.startTime !== id.startTime)) return;
      if (leader.state === 'Z' || leader.state === 'X') return; // exited, not reaped yet
      let ticks = 0;
      let rss = 0;
      for (const p of members) ticks += p.cpuTicks;
      const sizes = await Promise.all(
        members.map((p) => readOr(`/proc/${p.pid}/status`, parseVmRss)),
      );
      for (const s of sizes) rss += s ?? 0;
      out.set(taskId, { cpuSeconds: ticks / hz, memoryBytes: rss });
    }),
  );
  return out;
}
