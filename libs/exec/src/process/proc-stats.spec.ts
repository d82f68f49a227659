import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProcessIdentity, readStartTime } from './proc';
import {
  clockTicksFromAuxv,
  clockTicksPerSecond,
  parseProcStat,
  parseVmRss,
  readSessionStats,
} from './proc-stats';

const children: ChildProcess[] = [];

/** Starts `sh -c script` as the process executor does: detached, so it leads a new session. */
async function session(script: string): Promise<ProcessIdentity> {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  return { pid, startTime: (await readStartTime(pid)) ?? null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function auxv(pairs: [number, number][], word: 4 | 8, endian: 'LE' | 'BE'): Buffer {
  const buf = Buffer.alloc(pairs.length * 2 * word);
  pairs.flat().forEach((v, i) => {
    if (word === 8) {
      if (endian === 'LE') buf.writeBigUInt64LE(BigInt(v), i * 8);
      else buf.writeBigUInt64BE(BigInt(v), i * 8);
    } else if (endian === 'LE') buf.writeUInt32LE(v, i * 4);
    else buf.writeUInt32BE(v, i * 4);
  });
  return buf;
}

describe('clock ticks', () => {
  it('finds AT_CLKTCK in an auxiliary vector of either word size and byte order', () => {
    const pairs: [number, number][] = [
      [6, 4096], // AT_PAGESZ
      [17, 250], // AT_CLKTCK
      [0, 0],
    ];
    for (const word of [4, 8] as const) {
      for (const endian of ['LE', 'BE'] as const) {
        expect(clockTicksFromAuxv(auxv(pairs, word, endian), word, endian)).toBe(250);
      }
    }
    expect(
      clockTicksFromAuxv(
        auxv(
          [
            [6, 4096],
            [0, 0],
            [17, 250],
          ],
          8,
          'LE',
        ),
        8,
        'LE',
      ),
    ).toBe(undefined);
  });

  it.skipIf(!existsSync('/proc/self/auxv'))('agrees with getconf CLK_TCK', async () => {
    const hz = await clockTicksPerSecond();
    let expected: number | undefined;
    try {
      expected = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      expected = undefined; // no getconf: the auxv value is all there is
    }
    if (expected !== undefined) expect(hz).toBe(expected);
    else expect(Number.isInteger(hz) && hz > 0).toBe(true);
  });
});

describe('/proc parsing', () => {
  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    // Fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime stime cutime cstime priority nice threads itrealvalue starttime.
    const rest = 'S 1 42 42 0 -1 4194560 100 0 0 0 7 3 20 10 20 0 1 0 98765 1000 50';
    expect(parseProcStat(42, `42 (we) (ird name) ${rest}\n`)).toEqual({
      pid: 42,
      state: 'S',
      session: 42,
      cpuTicks: 40,
      startTime: '98765',
    });
    expect(parseProcStat(42, '42 (truncated')).toBeUndefined();
  });

  it('reads VmRSS in bytes, and 0 when there is none (a zombie)', () => {
    expect(parseVmRss('Name:\tsleep\nVmRSS:\t    1234 kB\nThreads:\t1\n')).toBe(1234 * 1024);
    expect(parseVmRss('Name:\tsleep\nState:\tZ (zombie)\n')).toBe(0);
  });
});

describe.skipIf(!existsSync('/proc/self/stat'))('readSessionStats (real processes)', () => {
  it('measures an idle process: some memory, little CPU', async () => {
    const id = await session('exec sleep 30');
    const stats = (await readSessionStats(new Map([['t1', id]]))).get('t1');
    expect(stats).toBeDefined();
    expect(stats!.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(stats!.cpuSeconds).toBeLessThan(0.5);
    expect(stats!.memoryBytes).toBeGreaterThan(0);
  });

  it('sums the CPU of the whole session: busy children of an idle leader', async () => {
    const id = await session('sh -c "while :; do :; done" & sh -c "while :; do :; done" & wait');
    const before = (await readSessionStats(new Map([['t1', id]]))).get('t1')!;
    await sleep(1_000);
    const after = (await readSessionStats(new Map([['t1', id]]))).get('t1')!;
    const leader = parseProcStat(id.pid, readFileSync(`/proc/${id.pid}/stat`, 'utf8'))!;
    const leaderSeconds = leader.cpuTicks / (await clockTicksPerSecond());
    // Two busy loops for a second on a machine that may be busy too: well above nothing.
    expect(after.cpuSeconds - before.cpuSeconds).toBeGreaterThan(0.3);
    expect(after.cpuSeconds - leaderSeconds).toBeGreaterThan(0.3);
    // Three shells resident, each with its own VmRSS.
    const leaderRss = parseVmRss(readFileSync(`/proc/${id.pid}/status`, 'utf8'));
    expect(after.memoryBytes).toBeGreaterThan(leaderRss);
  });

  it('leaves out a task whose process is gone or whose pid was reused', async () => {
    const id = await session('exec sleep 30');
    const reused: ProcessIdentity = { pid: id.pid, startTime: `${id.startTime}1` };
    const gone = await session('exit 0');
    const last = children.at(-1)!;
    if (last.exitCode === null) await new Promise((r) => last.once('exit', r));
    const stats = await readSessionStats(
      new Map([
        ['live', id],
        ['reused', reused],
        ['gone', gone],
      ]),
    );
    expect([...stats.keys()]).toEqual(['live']);
  });
});
