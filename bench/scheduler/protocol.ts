import { type Milestones } from './tally';

/**
 * What the benchmark (the parent process, which also hosts the simulated agents) asks of a
 * manager process over the IPC channel, and what comes back. Times are measured inside the
 * manager, on its own monotonic clock, relative to the start of the step.
 */
export type ManagerCommand =
  | { cmd: 'status' }
  /** Serve the simulated agents' dispatcher calls on this Unix socket (redirecting them to the leader). */
  | { cmd: 'bridge'; path: string }
  /** Write `count` worker Node objects, one store write each, as admission does. */
  | { cmd: 'join'; count: number }
  | { cmd: 'wait-ready'; count: number; timeoutMs: number }
  /** `concurrency` API clients create the services, each one create after another. */
  | { cmd: 'place'; services: number; replicas: number; concurrency: number; timeoutMs: number }
  | { cmd: 'incremental'; samples: number; timeoutMs: number }
  /** Event-loop delay since the last reset (monitorEventLoopDelay), then reset it. */
  | { cmd: 'loop-delay' }
  /** A CPU profile of the steps between the two, written to `file`. */
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop'; file: string }
  /** Serve this manager's metrics registry on a free loopback port, as --metrics-addr does. */
  | { cmd: 'serve-metrics' }
  | { cmd: 'stop' };

export interface StatusResult {
  leader: boolean;
  /** Its leader services (dispatcher included) are up. */
  dispatching: boolean;
  leaderId: string | undefined;
}

/** Event-loop delay percentiles in ms: a manager stalled past its election timeout loses office. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface JoinResult {
  nodeIds: string[];
  ms: number;
}

export interface PlaceResult {
  serviceIds: string[];
  /** From the first create call until all of them returned. */
  createsMs: number;
  /** Relative to the first create call. */
  at: Required<Milestones>;
  /** Raft entries the step added (every store write is one). */
  entries: number;
  assignCommits: number;
  runningCommits: number;
}

export interface IncrementalSample {
  serviceId: string;
  assignedMs: number;
  runningMs: number;
}

export interface IncrementalResult {
  samples: IncrementalSample[];
}

export type ManagerReply = { id: number; result: unknown } | { id: number; error: string };

export type ManagerEvent =
  | { event: 'ready'; id: string }
  /** The leader this manager knows changed (polled every 50 ms). */
  | { event: 'leader'; id: string; leader: string | undefined }
  | {
      event: 'progress';
      elapsedMs: number;
      created: number;
      assigned: number;
      running: number;
    };

export type FromManager = ManagerReply | ManagerEvent;

export interface ToManager {
  id: number;
  command: ManagerCommand;
}
