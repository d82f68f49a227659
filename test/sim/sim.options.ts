import { type SeededRng } from '@shoal/raft/core/rng';
import { type ClientOptions } from './kv.clients';
import { type NetworkFaults } from './seeded.network';
import { type BrokenMode } from './simulated.node';

export interface FaultOptions {
  crashes: boolean;
  partitions: boolean;
  /** Drops, duplicates and long delays; off means a fast, reliable (but still async) network. */
  lossyNetwork: boolean;
  leaderTransfers: boolean;
  /** Process pauses: the node stops, its inbox fills, then it resumes with stale beliefs. */
  pauses: boolean;
  /** Nodes' clocks tick at slightly different rates. */
  clockDrift: boolean;
}

export interface SimulationOptions {
  seed: number;
  nodes?: 3 | 5;
  /** Virtual milliseconds of client load under faults, before the final heal. */
  durationMs?: number;
  faults?: Partial<FaultOptions>;
  clients?: Partial<ClientOptions>;
  /** A deliberately broken node implementation, to show the checks have teeth. */
  broken?: BrokenMode;
  /** Linearizability search budget per key. */
  checkerMaxSteps?: number;
}

export const DEFAULT_DURATION_MS = 3000;
export const TICK_MS = 10;
/** How long after the heal a leader must exist and the final write commit. */
export const SETTLE_MS = 10_000;

export const DEFAULT_FAULTS: FaultOptions = {
  crashes: true,
  partitions: true,
  lossyNetwork: true,
  leaderTransfers: true,
  pauses: true,
  clockDrift: true,
};

export function defaultClients(nodes: number): ClientOptions {
  return {
    // Sized so histories stay in the low hundreds of operations with a handful in flight
    // per key: enough concurrency to be interesting, small enough that the checker's search
    // finishes in a few thousand steps (its budget is millions).
    clients: nodes === 5 ? 6 : 5,
    keys: 3,
    timeoutMs: 600,
    thinkMinMs: 5,
    thinkMaxMs: 60,
    replyDelayMs: 2,
    mix: { put: 4, get: 4, cas: 2 },
  };
}

/**
 * Everything about a run that the seed decides up front. Varying it per seed, rather than
 * fixing one "typical" setting, is what lets a few hundred seeds cover quiet networks and
 * terrible ones, eager snapshots and lazy ones, with and without pre-vote and check-quorum.
 */
export interface SimProfile {
  network: NetworkFaults;
  checkQuorum: boolean;
  preVote: boolean;
  snapshotEvery: number;
  snapshotRetain: number;
  /** Mean gap between crashes and between partitions (exponential-ish, see scheduler). */
  crashGapMs: number;
  downtimeMs: [number, number];
  partitionGapMs: number;
  partitionMs: [number, number];
  transferGapMs: number;
  pauseGapMs: number;
  pauseMs: [number, number];
  /** Virtual ms between ticks, per node (index order). */
  tickPeriods: number[];
}

const pick = (rng: SeededRng, lo: number, hi: number): number => lo + rng.intn(hi - lo + 1);

export function deriveProfile(rng: SeededRng, faults: FaultOptions, nodes: number): SimProfile {
  const lossy = faults.lossyNetwork;
  const maxDelay = pick(rng, 3, lossy ? 30 : 8);
  return {
    network: {
      dropRate: lossy ? [0, 0.01, 0.05, 0.1, 0.2][rng.intn(5)] : 0,
      duplicateRate: lossy ? [0, 0.02, 0.1][rng.intn(3)] : 0,
      minDelayMs: 1,
      maxDelayMs: maxDelay,
      longDelayRate: lossy ? [0, 0.01, 0.05][rng.intn(3)] : 0,
      longDelayMs: pick(rng, 50, 400),
    },
    checkQuorum: rng.intn(4) !== 0,
    preVote: rng.intn(4) !== 0,
    snapshotEvery: pick(rng, 8, 60),
    snapshotRetain: [0, 2, 10][rng.intn(3)],
    crashGapMs: pick(rng, 300, 1500),
    downtimeMs: [50, pick(rng, 100, 1200)],
    partitionGapMs: pick(rng, 300, 1500),
    partitionMs: [50, pick(rng, 100, 1200)],
    transferGapMs: pick(rng, 400, 2000),
    pauseGapMs: pick(rng, 500, 2500),
    pauseMs: [20, pick(rng, 50, 800)],
    // Up to ±30%: enough that one node's election timer can fire well before another's
    // would, which a leader lease must not turn into a safety problem.
    tickPeriods: Array.from({ length: nodes }, () =>
      faults.clockDrift ? pick(rng, TICK_MS - 3, TICK_MS + 3) : TICK_MS,
    ),
  };
}

/** Separate streams per concern: a change in, say, client behaviour keeps the network's draws. */
export function streamSeed(seed: number, stream: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}
