import { type TaskStats } from '../executor.port';

/** The parts of the engine's `GET /containers/{id}/stats` answer that stats need. */
export interface EngineStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** The engine's zero time: what `read` holds for a container that does not run. */
const ZERO_TIME = /^0001-01-01T/;

/**
 * A container's usage from one stats sample, or undefined when it does not run (the engine
 * then answers with empty figures). CPU is the cgroup's total usage (every process the
 * container ever ran). Memory is what `docker stats` shows: the cgroup's usage minus the
 * inactive file cache the kernel can drop at once — `total_inactive_file` under cgroup v1,
 * `inactive_file` under v2 — when that is below the usage.
 */
export function usageFromEngineStats(s: EngineStats): TaskStats | undefined {
  if (!s.read || ZERO_TIME.test(s.read)) return undefined;
  const cpuNs = s.cpu_stats?.cpu_usage?.total_usage;
  const usage = s.memory_stats?.usage;
  if (typeof cpuNs !== 'number' || typeof usage !== 'number') return undefined;
  const stats = s.memory_stats?.stats ?? {};
  let memoryBytes = usage;
  for (const key of ['total_inactive_file', 'inactive_file']) {
    const inactive = stats[key];
    if (typeof inactive === 'number' && inactive < usage) {
      memoryBytes = usage - inactive;
      break;
    }
  }
  return { cpuSeconds: cpuNs / 1e9, memoryBytes };
}
