/**
 * Node flags for every process that hosts a Raft member: shoald, and the KV node the Raft
 * tests and benchmarks run.
 *
 * V8 sizes the old generation for small heaps. A Raft leader under write load allocates
 * fast (each client call, proposal and append), and with V8's default limits it ran a full
 * mark-compact about every 1.5 s, each pausing the whole process for 15–35 ms. Every proposal
 * in flight waits through such a pause, so these pauses made most of the p99 commit latency
 * (`npm run bench:raft`: p99 44–48 ms with the defaults, 37–39 ms with this flag, on the same
 * machine; docs/benchmarks.md). Letting the old generation grow to 256 MiB before its first
 * full collection (later limits follow the live size) cut the leader's full collections about
 * fourfold. It commits no memory up front: an idle daemon's heap stays as small as before.
 *
 * Node refuses `--initial-old-space-size` in NODE_OPTIONS, so the flag must be on node's
 * command line: shoald's shebang carries it (a spec keeps the two equal) and our process
 * launchers pass it.
 */
export const RAFT_HOST_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256'];

/** The flags of RAFT_HOST_NODE_FLAGS this process was started without. */
export function missingRaftHostFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return RAFT_HOST_NODE_FLAGS.filter((f) => !execArgv.includes(f));
}
