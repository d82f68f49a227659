import { type Logger } from '@shoal/common';
import {
  type DispatcherCallError,
  jitteredDelayMs,
  type AgentLogSubscription,
  type AssignmentMessage,
  type DispatcherApi,
  type ManagerAddress,
  systemTimers,
  type TimerPort,
} from '@shoal/dispatcher';

/** Reconnect backoff: doubles from the first to the cap, with jitter. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_CAP_MS = 2_000;
/** How long the engine may take to describe itself before the last description is used. */
const DESCRIBE_TIMEOUT_MS = 3_000;
/** How long the first session message may take before this manager is given up on. */
const SESSION_OPEN_TIMEOUT_MS = 5_000;

export interface AgentSessionOptions {
  /** A client for the dispatcher at `addr`. */
  connect(addr: string): DispatcherApi;
  /** The managers to try, best first (the last known list; updated from sessions). */
  managers(): string[];
  describe(): Promise<string>;
  onOpen(api: DispatcherApi, sessionId: string): void;
  onClose(): void;
  onAssignments(msg: AssignmentMessage): void;
  onManagers(managers: ManagerAddress[]): void;
  onLogSubscription(api: DispatcherApi, sub: AgentLogSubscription): void;
  /** [0, 1), for heartbeat and backoff jitter. */
  random(): number;
  /** Heartbeat, backoff and timeout timers. Default: the global ones (systemTimers). */
  timers?: TimerPort;
  logger: Logger;
}

/**
 * Holds one dispatcher session at a time (after swarmkit's agent session): opens it on a
 * manager, beats at the period the manager sets (jittered early), follows the assignments
 * stream, and on any failure moves on, to the leader if the manager named it, else the next
 * manager, with backoff. Running tasks are not touched while there is no session.
 */
export class AgentSession {
  private running = false;
  private current?: { api: DispatcherApi; close: (why: string) => void };
  private wake?: () => void;
  private preferred?: string;
  private loop?: Promise<void>;
  private readonly timers: TimerPort;

  constructor(private readonly o: AgentSessionOptions) {
    this.timers = o.timers ?? systemTimers;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((err: Error) => {
      // Never expected (each session's failures are handled inside), but an agent that stops
      // must say so rather than take shoald down with an unhandled rejection.
      this.running = false;
      this.o.logger.error('the agent session loop stopped', { err: err.message });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.current?.close('agent stopping');
    this.wake?.();
    await this.loop;
  }

  /** Whether a session is open now. */
  get connected(): boolean {
    return this.current !== undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let next = 0;
    let redirected = false;
    while (this.running) {
      const managers = this.o.managers();
      // A leader named by a manager of the cluster may be newer than our list.
      const addr = this.preferred ?? managers[next++ % Math.max(1, managers.length)];
      this.preferred = undefined;
      if (!addr) {
        await this.sleep(BACKOFF_CAP_MS);
        continue;
      }
      const outcome = await this.session(addr);
      if (!this.running) return;
      if (outcome.opened) failures = 0;
      if (outcome.leader && !redirected) {
        // Straight to the leader, no backoff; but only once in a row, so two managers that
        // each name the other (mid-election) cannot make us spin.
        this.preferred = outcome.leader;
        redirected = true;
        continue;
      }
      redirected = false;
      failures++;
      const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.min(failures - 1, 10));
      await this.sleep(delay * (0.5 + this.o.random() / 2));
    }
  }

  /** One session on `addr`, until it fails. */
  private async session(addr: string): Promise<{ opened: boolean; leader?: string }> {
    const description = await this.description();
    if (!this.running) return { opened: false };
    const api = this.o.connect(addr);
    let opened = false;
    let leader: string | undefined;
    const streams: { cancel(): void }[] = [];
    let cancelHeartbeat: (() => void) | undefined;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    let closed = false;
    const close = (why: string, err?: DispatcherCallError) => {
      if (closed) return;
      closed = true;
      if (err?.kind === 'not-leader' && err.leaderAddr) leader = err.leaderAddr;
      cancelHeartbeat?.();
      cancelOpenTimer();
      for (const s of streams) s.cancel();
      if (opened) {
        this.current = undefined;
        this.o.onClose();
        this.o.logger.info('dispatcher session closed', { manager: addr, why });
      } else {
        this.o.logger.debug('dispatcher session not opened', { manager: addr, why });
      }
      api.close();
      finished();
    };

    let sessionId = '';
    let periodMs = 1_000;
    const beat = () => {
      cancelHeartbeat = this.timers.setTimeout(
        () => {
          api.heartbeat(sessionId).then(
            (p) => {
              periodMs = p || periodMs;
              if (!closed) beat();
            },
            (err: DispatcherCallError) => close(`heartbeat failed: ${err.message}`, err),
          );
        },
        jitteredDelayMs(periodMs, this.o.random()),
      );
    };

    let lastSequence = 0;
    const watchAssignments = () => {
      const stream = api.assignments(sessionId, {
        message: (msg) => {
          if (msg.type === 'incremental' && msg.appliesTo !== lastSequence) {
            // A gap: start over with a complete set.
            this.o.logger.warn('assignments out of sequence; resyncing', {
              expected: lastSequence,
              got: msg.appliesTo,
            });
            stream.cancel();
            streams.splice(streams.indexOf(stream), 1);
            lastSequence = 0;
            watchAssignments();
            return;
          }
          lastSequence = msg.sequence;
          this.o.onAssignments(msg);
        },
        end: (err) => close(`assignments stream ended: ${err?.message ?? 'closed'}`, err),
      });
      streams.push(stream);
    };

    const cancelOpenTimer = this.timers.setTimeout(
      () => close('no answer from the manager'),
      SESSION_OPEN_TIMEOUT_MS,
    );
    streams.push(
      api.session(description, {
        message: (msg) => {
          if (closed) return;
          if (!opened) {
            opened = true;
            cancelOpenTimer();
            sessionId = msg.sessionId;
            periodMs = msg.heartbeatPeriodMs ?? periodMs;
            this.current = { api, close };
            this.o.logger.info('dispatcher session opened', { manager: addr, session: sessionId });
            this.o.onOpen(api, sessionId);
            beat();
            watchAssignments();
          }
          if (msg.managers) this.o.onManagers(msg.managers);
          if (msg.logSubscription) this.o.onLogSubscription(api, msg.logSubscription);
        },
        end: (err) => close(`session ended: ${err?.message ?? 'closed'}`, err),
      }),
    );
    this.wake = () => close('agent stopping');
    await done;
    return { opened, ...(leader ? { leader } : {}) };
  }

  private lastDescription = '{}';

  /**
   * The node's description, fresh when the engine answers in time; otherwise the last one,
   * so a restarting or hung engine never keeps the node from its session.
   */
  private async description(): Promise<string> {
    let cancelTimer: (() => void) | undefined;
    try {
      this.lastDescription = await Promise.race([
        this.o.describe(),
        new Promise<never>((_, reject) => {
          cancelTimer = this.timers.setTimeout(
            () => reject(new Error('timed out')),
            DESCRIBE_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (err) {
      this.o.logger.warn('node description unavailable; sending the last one', {
        err: (err as Error).message,
      });
    } finally {
      cancelTimer?.();
    }
    return this.lastDescription;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.timers.setTimeout(resolve, ms);
      this.wake = () => {
        cancel();
        resolve();
      };
    });
  }
}
