import { readFile, rename, writeFile } from 'node:fs/promises';

/** Identifies one process across pid reuse: the pid plus its start time in clock ticks. */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22 (starttime); null where /proc is unavailable. */
  startTime: string | null;
}

/**
 * Field 22 (starttime) of /proc/<pid>/stat, or undefined when the process does not exist or
 * is a zombie (it has exited; only its parent has not reaped it yet). Field 2 (comm) is in
 * parentheses and may hold spaces or parentheses itself, so fields are counted after the last ')'.
 */
export async function readStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const state = rest[0];
  const startTime = rest[19];
  if (state === 'Z' || state === 'X' || startTime === undefined) return undefined;
  return startTime;
}

/** True while the process named by `id` runs (same pid and, where known, same start time). */
export async function isAlive(id: ProcessIdentity): Promise<boolean> {
  if (id.startTime === null) {
    try {
      process.kill(id.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return (await readStartTime(id.pid)) === id.startTime;
}

/** Writes the pid file atomically: a reader sees the old file or the whole new one. */
export async function writePidFile(path: string, id: ProcessIdentity): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(id) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** The pid file's contents, or undefined when it is absent or unreadable. */
export async function readPidFile(path: string): Promise<ProcessIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<ProcessIdentity>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 1) return undefined;
    const startTime = typeof v.startTime === 'string' ? v.startTime : null;
    return { pid: v.pid, startTime };
  } catch {
    return undefined;
  }
}

/** Sends `signal` to the process group led by `pid`; false when the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
