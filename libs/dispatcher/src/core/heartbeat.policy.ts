/**
 * How often agents beat and how long the dispatcher waits before it calls a node down.
 *
 * Defaults: 1 s period and a grace of 2 periods + 0.5 s, so a node that dies right after a
 * beat is marked down within 2.5 s (issue target: 3 s; Swarm: 5 s × 3 = 15 s). The period
 * grows with the cluster so that the leader receives at most `maxBeatsPerSecond` beats per
 * second (Nomad's approach): 50/s keeps 1 s up to 50 nodes, and gives 20 s at 1,000 nodes.
 * Agents beat early, never late: at period × [1 − jitter, 1], so beats spread out without
 * eating into the grace.
 */
export interface HeartbeatPolicy {
  minPeriodMs: number;
  maxBeatsPerSecond: number;
  /** Grace = period × graceMultiplier + graceSlackMs. */
  graceMultiplier: number;
  graceSlackMs: number;
}

export const DEFAULT_HEARTBEAT_POLICY: HeartbeatPolicy = {
  minPeriodMs: 1_000,
  maxBeatsPerSecond: 50,
  graceMultiplier: 2,
  graceSlackMs: 500,
};

/** The fraction of the period an agent may beat early by. */
export const HEARTBEAT_JITTER = 0.25;

export function heartbeatPeriodMs(nodeCount: number, policy: HeartbeatPolicy): number {
  const spread = Math.ceil((Math.max(0, nodeCount) / policy.maxBeatsPerSecond) * 1000);
  return Math.max(policy.minPeriodMs, spread);
}

export function heartbeatGraceMs(periodMs: number, policy: HeartbeatPolicy): number {
  return periodMs * policy.graceMultiplier + policy.graceSlackMs;
}

/** When an agent sends its next beat: `random` in [0, 1) from the agent's RNG. */
export function jitteredDelayMs(periodMs: number, random: number): number {
  return Math.round(periodMs * (1 - HEARTBEAT_JITTER * random));
}
