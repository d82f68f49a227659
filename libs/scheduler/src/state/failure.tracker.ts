/** swarmkit's numbers: 5 failures of one service version on one node within 5 minutes. */
export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 5 * 60_000;
/** More would not change the ranking much and would let one crash loop grow the lists. */
const KEPT_PER_NODE = 64;

/**
 * Recent task failures per service version and node, so that a node where a version keeps
 * failing (a missing device, a bad mount) goes last when its replacements are placed.
 * Times are the failing write's proposal time (the manager's clock, as every manager
 * applies it), not the agent's. Like swarmkit's, this lives in the leader's memory only:
 * a new leader starts with a clean slate.
 */
export class FailureTracker {
  private readonly byVersion = new Map<string, Map<string, number[]>>();

  constructor(
    private readonly windowMs = FAILURE_WINDOW_MS,
    private readonly threshold = MAX_FAILURES,
  ) {}

  record(versionKey: string, nodeId: string, at: number): void {
    let nodes = this.byVersion.get(versionKey);
    if (!nodes) this.byVersion.set(versionKey, (nodes = new Map()));
    const times = (nodes.get(nodeId) ?? []).filter((t) => t > at - this.windowMs);
    times.push(at);
    if (times.length > KEPT_PER_NODE) times.splice(0, times.length - KEPT_PER_NODE);
    nodes.set(nodeId, times);
  }

  /**
   * Nodes with at least `threshold` failures of this version in the window before `now`,
   * with their counts: the ranking puts them last, the most failures last of all.
   */
  penalties(versionKey: string, now: number): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    const nodes = this.byVersion.get(versionKey);
    if (!nodes) return out;
    for (const [nodeId, times] of nodes) {
      const recent = times.filter((t) => t > now - this.windowMs).length;
      if (recent >= this.threshold) out.set(nodeId, recent);
    }
    return out;
  }

  /** Forgets what the window has passed, so versions that stopped failing cost nothing. */
  prune(now: number): void {
    for (const [version, nodes] of this.byVersion) {
      for (const [nodeId, times] of nodes) {
        if (times[times.length - 1]! <= now - this.windowMs) nodes.delete(nodeId);
      }
      if (nodes.size === 0) this.byVersion.delete(version);
    }
  }
}
