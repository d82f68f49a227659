import { type AssignmentMessage } from './assignment.set';
import { type ManagerAddress } from './dispatcher';

/** A log subscription as it reaches an agent. */
export interface AgentLogSubscription {
  id: string;
  taskIds: string[];
  follow: boolean;
  /** Lines per task from the end; undefined for all. */
  tail?: number;
  sinceMs?: number;
  timestamps: boolean;
  close: boolean;
}

export interface AgentSessionMessage {
  sessionId: string;
  /** Set in the first message; later ones may change it. */
  heartbeatPeriodMs?: number;
  managers?: ManagerAddress[];
  logSubscription?: AgentLogSubscription;
}

export interface AgentLogLine {
  taskId: string;
  stream: 'stdout' | 'stderr';
  data: Buffer;
  timestamp?: string;
}

/** A stream the agent reads: it ends with an error (or undefined when closed cleanly). */
export interface StreamHandlers<T> {
  message(msg: T): void;
  end(err?: DispatcherCallError): void;
}

/** Why a call failed, in the dispatcher's terms (mapped from gRPC status codes). */
export class DispatcherCallError extends Error {
  override readonly name = 'DispatcherCallError';
  constructor(
    readonly kind: 'not-leader' | 'unknown-session' | 'denied' | 'invalid' | 'unavailable',
    message: string,
    /** For not-leader: where the leader is, if the manager knew. */
    readonly leaderAddr?: string,
  ) {
    super(message);
  }
}

/**
 * What an agent needs of one manager's dispatcher. The gRPC client implements it over mTLS;
 * the simulated-agents harness implements it in process, straight on a Dispatcher core.
 */
export interface DispatcherApi {
  session(descriptionJson: string, h: StreamHandlers<AgentSessionMessage>): { cancel(): void };
  heartbeat(sessionId: string): Promise<number>;
  assignments(sessionId: string, h: StreamHandlers<AssignmentMessage>): { cancel(): void };
  updateTaskStatus(
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void>;
  publishLogs(
    subscriptionId: string,
    lines: readonly AgentLogLine[],
    end?: { error?: string },
  ): Promise<void>;
  close(): void;
}
