import { existsSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What a reader needs to interpret Raft benchmark numbers from another machine: commit latency
 * is bounded by fsync (so the filesystem and device behind the data dirs matter), and
 * throughput by how many cores the three replicas and the load generator share.
 */
export interface MachineInfo {
  cpuModel: string;
  logicalCpus: number;
  /** What Node may actually use (cgroup/affinity aware). */
  availableParallelism: number;
  /** From the cgroup CPU quota, when one is set (containers); undefined when unlimited. */
  cpuQuotaCores: number | undefined;
  /** CPU flags say we run under a hypervisor: fsync then reaches a virtual disk. */
  virtualized: boolean;
  memoryBytes: number;
  os: string;
  kernel: string;
  arch: string;
  node: string;
  /**
   * 1-minute load average when described. Other work on the machine competes with the
   * servers for CPU and disk, and a busy machine makes both systems look slower, unevenly.
   */
  loadAverage1m: number;
  dir: string;
  fs: { type: string; device: string; mountPoint: string; options: string } | undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function cpuQuotaCores(): number | undefined {
  const v2 = readText('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2[0] !== 'max' && v2[1]) return Number(v2[0]) / Number(v2[1]);
  const quota = Number(readText('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(readText('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  if (quota > 0 && period > 0) return quota / period;
  return undefined;
}

function osName(): string {
  const rel = readText('/etc/os-release');
  const m = rel && /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel);
  return m ? m[1]! : `${os.type()} ${os.release()}`;
}

/** /proc/mounts escapes whitespace in paths as octal (`\040`). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount holding `dir`: the longest mount point that is a prefix of its real path. */
export function filesystemOf(dir: string): MachineInfo['fs'] {
  const mounts = readText('/proc/self/mounts');
  if (!mounts) return undefined;
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return undefined;
  }
  let best: MachineInfo['fs'];
  for (const line of mounts.split('\n')) {
    const [device, mp, type, options] = line.split(' ');
    if (!device || !mp || !type) continue;
    const mountPoint = unescapeMount(mp);
    const inside =
      real === mountPoint ||
      real.startsWith(mountPoint.endsWith(path.sep) ? mountPoint : mountPoint + path.sep);
    // Later lines win on ties: they are mounted over the earlier ones.
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) {
      best = { type, device: unescapeMount(device), mountPoint, options: options ?? '' };
    }
  }
  return best;
}

export function describeMachine(dir: string = os.tmpdir()): MachineInfo {
  const cpus = os.cpus();
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    logicalCpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuQuotaCores: cpuQuotaCores(),
    virtualized: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
    memoryBytes: os.totalmem(),
    os: osName(),
    kernel: os.release(),
    arch: process.arch,
    node: process.version,
    loadAverage1m: os.loadavg()[0]!,
    dir,
    fs: existsSync(dir) ? filesystemOf(dir) : undefined,
  };
}

export function formatMachine(m: MachineInfo): string {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const quota = m.cpuQuotaCores !== undefined ? `, cgroup quota ${m.cpuQuotaCores} cores` : '';
  const fs = m.fs
    ? `${m.fs.type} on ${m.fs.device} (mounted at ${m.fs.mountPoint}, ${m.fs.options})`
    : 'unknown filesystem';
  return [
    `cpu:    ${m.cpuModel} × ${m.logicalCpus} (usable ${m.availableParallelism}${quota})` +
      (m.virtualized ? ', virtualized' : ''),
    `memory: ${gib(m.memoryBytes)}`,
    `os:     ${m.os}, kernel ${m.kernel}, ${m.arch}`,
    `node:   ${m.node}`,
    `load:   ${m.loadAverage1m.toFixed(2)} (1 min)` +
      (m.loadAverage1m > m.availableParallelism / 2
        ? ' — WARNING: the machine is busy; other work competes with the benchmark'
        : ''),
    `disk:   ${m.dir} → ${fs}`,
  ].join('\n');
}
