import { type TaskStatus } from '@shoal/api';
import { DispatcherCallError, systemTimers, type TimerPort } from '@shoal/dispatcher';

/** The batch bound on the agent's side; the dispatcher merges across agents. */
const MAX_BATCH = 200;
/** After a failed send on a live session: retry after this, doubling up to the cap. */
const RETRY_FIRST_MS = 200;
const RETRY_CAP_MS = 5_000;

export interface StatusSender {
  send(updates: readonly { taskId: string; statusJson: string }[]): Promise<void>;
}

/**
 * Keeps the latest status of every task and sends what the manager has not acknowledged yet
 * (issue 5: "retries until the manager acknowledges it"). A newer status replaces one still
 * unsent; one sent but superseded before the ack is sent again. With no session, reports wait.
 */
export class StatusReporter {
  private readonly latest = new Map<string, TaskStatus>();
  private readonly unacked = new Set<string>();
  private sender?: StatusSender;
  private loop?: Promise<void>;
  /** Cancels the pending retry; set while one is pending. */
  private retry?: () => void;
  private failures = 0;

  constructor(
    private readonly onError: (err: unknown) => void = () => undefined,
    /** Default: the global timers (unref'd). */
    private readonly timers: TimerPort = systemTimers,
  ) {}

  report(taskId: string, status: TaskStatus): void {
    this.latest.set(taskId, status);
    this.unacked.add(taskId);
    this.kick();
  }

  forget(taskId: string): void {
    this.latest.delete(taskId);
    this.unacked.delete(taskId);
  }

  /** A session is open (or, with undefined, lost). */
  setSender(sender: StatusSender | undefined): void {
    this.sender = sender;
    this.retry?.();
    this.retry = undefined;
    this.failures = 0;
    // Everything is sent again to a new session: the old one may have lost the last batch.
    if (sender) for (const id of this.latest.keys()) this.unacked.add(id);
    this.kick();
  }

  get pending(): number {
    return this.unacked.size;
  }

  private kick(): void {
    if (this.loop || this.retry || !this.sender || this.unacked.size === 0) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // A session that opened while a send to the old one still hung (until its deadline)
      // found the loop busy; the loop gave up on the old session, so start over on the new.
      this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.sender && this.unacked.size > 0) {
      const sender = this.sender;
      const batch = [...this.unacked].slice(0, MAX_BATCH).map((taskId) => ({
        taskId,
        status: this.latest.get(taskId)!,
      }));
      const outcome = await this.sendBatch(sender, batch);
      if (outcome === 'refused' && batch.length > 1) {
        // One report the manager will never take refuses the whole batch: go one by one.
        for (const b of batch) {
          const one = await this.sendBatch(sender, [b]);
          if (one !== 'ok' && one !== 'refused') return this.failed(sender, one);
        }
      } else if (outcome !== 'ok' && outcome !== 'refused') {
        return this.failed(sender, outcome);
      } else {
        this.failures = 0;
      }
    }
  }

  /** 'refused' reports are acknowledged too: the task is no longer this node's. */
  private async sendBatch(
    sender: StatusSender,
    batch: readonly { taskId: string; status: TaskStatus }[],
  ): Promise<'ok' | 'refused' | 'no-session' | 'failed'> {
    try {
      await sender.send(
        batch.map((b) => ({ taskId: b.taskId, statusJson: JSON.stringify(b.status) })),
      );
      this.ack(batch);
      return 'ok';
    } catch (err) {
      this.onError(err);
      if (
        !(err instanceof DispatcherCallError) ||
        (err.kind !== 'denied' && err.kind !== 'invalid')
      )
        return 'failed';
      if (batch.length === 1) this.ack(batch);
      return 'refused';
    }
  }

  /**
   * A send failed. With the session gone, wait for the next one (setSender sends everything
   * again); otherwise (a write that failed, a deadline) keep it and retry with backoff.
   */
  private failed(sender: StatusSender, outcome: 'no-session' | 'failed'): void {
    if (this.sender !== sender) return;
    if (outcome === 'no-session') {
      this.sender = undefined;
      return;
    }
    const delay = Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** Math.min(this.failures++, 10));
    this.retry = this.timers.setTimeout(() => {
      this.retry = undefined;
      this.kick();
    }, delay);
  }

  private ack(batch: readonly { taskId: string; status: TaskStatus }[]): void {
    for (const b of batch)
      if (this.latest.get(b.taskId) === b.status) this.unacked.delete(b.taskId);
  }
}
