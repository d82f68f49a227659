/**
 * Node flags for every process that hosts a Raft member: shoald, and the KV node the Raft
 * tests and benchmarks run.
 *
 * V8 sizes the old generation for small heaps. A Raft leader under write load allocates
 * fast (each client call, proposal and append), and with V8's default limits it ran a full
 * mark-compact about every 1.5 s, each pausing the whole process for 15–35 ms. Every proposal
 * in flight waits through such a pause, the largest part of the p99 commit latency we found:
 * in two `npm run bench:raft -- --compare-node-defaults` runs, p99 was 46.3 and 48.0 ms on
 * node's defaults, 37.4 and 40.7 ms with this flag, and etcd's 41.2 and 42.4 ms
 * (docs/benchmarks.md). The old generation
 * may grow to 256 MiB before its first full collection; later limits follow the live size, and
 * the leader's full collections became about three times rarer (each one a little longer).
 * Its idle cost is small: an idle single-manager shoald measured 110 MiB RSS without it and
 * 116 MiB with it.
 *
 * Node refuses `--initial-old-space-size` in NODE_OPTIONS, so the flag must be on node's
 * command line: shoald's shebang carries it (`#!/usr/bin/env -S node …`, which needs an `env`
 * with -S: GNU coreutils 8.30+, BSD, macOS; not BusyBox), a spec keeps the two equal, and our
 * process launchers pass it.
 */
export const RAFT_HOST_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256'];

/**
 * The flags of RAFT_HOST_NODE_FLAGS this process was started without. A flag given with another
 * value counts as given: that is an operator's choice, not a missing launcher.
 */
export function missingRaftHostFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(flagName));
  return RAFT_HOST_NODE_FLAGS.filter((f) => !given.has(flagName(f)));
}

/** V8 accepts `_` for `-` in flag names, and the value after `=`. */
function flagName(arg: string): string {
  return arg.split('=')[0]!.replace(/_/g, '-');
}
