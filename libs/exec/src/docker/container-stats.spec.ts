import { describe, expect, it } from 'vitest';
import { usageFromEngineStats } from './container-stats';

const READ = '2026-11-22T16:20:00.123456789Z';

describe('usageFromEngineStats', () => {
  it('takes CPU from the cgroup total, in seconds', () => {
    const s = usageFromEngineStats({
      read: READ,
      cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
      memory_stats: { usage: 1000, stats: {} },
    });
    expect(s).toEqual({ cpuSeconds: 2.5, memoryBytes: 1000 });
  });

  it('leaves out the inactive file cache as docker stats does, under cgroup v1 and v2', () => {
    const v1 = usageFromEngineStats({
      read: READ,
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: { usage: 10_000, stats: { total_inactive_file: 3_000, inactive_file: 1 } },
    });
    expect(v1?.memoryBytes).toBe(7_000);
    const v2 = usageFromEngineStats({
      read: READ,
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: { usage: 10_000, stats: { inactive_file: 4_000 } },
    });
    expect(v2?.memoryBytes).toBe(6_000);
    // A cache figure not below the usage is not subtracted (v1's total, then v2's own).
    const odd = usageFromEngineStats({
      read: READ,
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: { usage: 10_000, stats: { total_inactive_file: 20_000, inactive_file: 500 } },
    });
    expect(odd?.memoryBytes).toBe(9_500);
  });

  it('reports nothing for a container that does not run', () => {
    expect(
      usageFromEngineStats({
        read: '0001-01-01T00:00:00Z',
        cpu_stats: { cpu_usage: { total_usage: 0 } },
        memory_stats: {},
      }),
    ).toBeUndefined();
    expect(usageFromEngineStats({ read: READ, cpu_stats: {}, memory_stats: {} })).toBeUndefined();
  });
});
