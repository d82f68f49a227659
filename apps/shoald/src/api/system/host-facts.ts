import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { type HostFacts } from './system-info.builder';

/**
 * Reads what /info and /version report about the host. Called per request (cheap: a few
 * syscalls and two small files), so the answer follows the host, as dockerd's does.
 */
export function readHostFacts(): HostFacts {
  const release = readOsRelease();
  return {
    hostname: os.hostname(),
    nodeArch: process.arch,
    machine: os.machine(),
    kernelVersion: os.release(),
    operatingSystem: release['PRETTY_NAME'] ?? os.type(),
    osVersion: release['VERSION_ID'] ?? '',
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    nodeVersion: process.version,
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    nfd: countOpenFds(),
  };
}

/** /etc/os-release (or /usr/lib/os-release) as KEY → unquoted value. */
function readOsRelease(): Record<string, string> {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    }
    return out;
  }
  return {};
}

function countOpenFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
