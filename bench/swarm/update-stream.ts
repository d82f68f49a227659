import { engineErrorMessage } from '../api/engine.client';
import { type Outcome, type Phase } from './outcomes';
import { now as monotonicNow, sleep as realSleep } from '../timing';

/**
 * One client updating one service at a steady pace, the way an operator's script or a CI job
 * would: read the service (for its version), send the whole spec back with one label changed,
 * wait out the rest of the interval, repeat. A 409 "update out of sequence" means the version
 * read was stale (for instance because an update that answered 503 was applied after all):
 * the stream reads again at once, and that is not a failure. Every other non-2xx answer, and
 * every request that got no HTTP answer, is a failure of its phase (read or update).
 *
 * The manager the stream talks to can be changed between requests (`retarget`), so that the
 * benchmark always writes through a manager other than the one it is about to stop.
 */

export interface StreamResponse {
  status: number;
  text: string;
  json: unknown;
}

/** What the stream sends its requests to: a manager's control API (unversioned paths). */
export interface StreamTarget {
  readonly name: string;
  request(method: string, path: string, body?: unknown): Promise<StreamResponse>;
}

export interface UpdateStreamOptions {
  serviceId: string;
  /** Time from the start of one read+update to the start of the next. */
  intervalMs: number;
  target: StreamTarget;
  /** The label whose value the stream bumps on every update. */
  label?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Watcher {
  from: number;
  needed: number;
  seen: number;
  resolve: (doneAt: number) => void;
  reject: (err: Error) => void;
}

export const SEQ_LABEL = 'shoal.bench.seq';

export class UpdateStream {
  /** Every request's outcome, in completion order. */
  readonly outcomes: Outcome[] = [];
  private target: StreamTarget;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private watchers: Watcher[] = [];
  private seq = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly label: string;

  constructor(private readonly o: UpdateStreamOptions) {
    this.target = o.target;
    this.now = o.now ?? monotonicNow;
    this.sleep = o.sleep ?? realSleep;
    this.label = o.label ?? SEQ_LABEL;
  }

  get targetName(): string {
    return this.target.name;
  }

  /** Requests from now on go to `t`; one already in flight finishes where it was sent. */
  retarget(t: StreamTarget): void {
    this.target = t;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Sends nothing more; resolves once the request in flight has settled. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
    const pending = this.watchers;
    this.watchers = [];
    for (const w of pending) w.reject(new Error('the update stream stopped'));
  }

  /**
   * Resolves with the completion time of the `n`th successful update whose request was sent
   * at or after `from` (the read before it may be older).
   */
  successesSentFrom(from: number, n = 1): Promise<number> {
    let seen = 0;
    for (const o of this.outcomes) {
      if (o.kind === 'success' && o.sentAt >= from && ++seen >= n) return Promise.resolve(o.doneAt);
    }
    return new Promise((resolve, reject) => {
      if (!this.running) {
        reject(new Error('the update stream is not running'));
        return;
      }
      this.watchers.push({ from, needed: n, seen, resolve, reject });
    });
  }

  /** Outcomes of requests that completed in [from, to]. */
  completedBetween(from: number, to: number): Outcome[] {
    return this.outcomes.filter((o) => o.doneAt >= from && o.doneAt <= to);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const cycleStart = this.now();
      const conflicted = await this.readAndUpdate();
      if (!this.running) break;
      if (conflicted) continue;
      await this.sleep(cycleStart + this.o.intervalMs - this.now());
    }
  }

  /** One read and, if it worked, one update; true when the update met a 409. */
  private async readAndUpdate(): Promise<boolean> {
    const target = this.target;
    const path = `/services/${encodeURIComponent(this.o.serviceId)}`;
    const readAt = this.now();
    let read: StreamResponse;
    try {
      read = await target.request('GET', path);
    } catch (err) {
      this.fail('read', 0, (err as Error).message, readAt, target);
      return false;
    }
    if (read.status !== 200) {
      this.fail('read', read.status, engineErrorMessage(read.text), readAt, target);
      return false;
    }
    const service = read.json as
      { Version?: { Index?: unknown }; Spec?: Record<string, unknown> } | undefined;
    const version = service?.Version?.Index;
    if (typeof version !== 'number' || !service?.Spec) {
      this.fail('read', read.status, 'the answer has no Version.Index or Spec', readAt, target);
      return false;
    }
    const labels = (service.Spec['Labels'] ?? {}) as Record<string, string>;
    const spec = { ...service.Spec, Labels: { ...labels, [this.label]: String(++this.seq) } };
    const sentAt = this.now();
    let res: StreamResponse;
    try {
      res = await target.request('POST', `${path}/update?version=${version}`, spec);
    } catch (err) {
      this.fail('update', 0, (err as Error).message, sentAt, target);
      return false;
    }
    const doneAt = this.now();
    if (res.status >= 200 && res.status < 300) {
      this.record({ kind: 'success', sentAt, doneAt, target: target.name });
      return false;
    }
    if (res.status === 409) {
      this.record({ kind: 'conflict', sentAt, doneAt, target: target.name });
      return true;
    }
    this.fail('update', res.status, engineErrorMessage(res.text), sentAt, target);
    return false;
  }

  private fail(
    phase: Phase,
    status: number,
    message: string,
    sentAt: number,
    target: StreamTarget,
  ): void {
    this.record({
      kind: 'failure',
      phase,
      status,
      message,
      sentAt,
      doneAt: this.now(),
      target: target.name,
    });
  }

  private record(o: Outcome): void {
    this.outcomes.push(o);
    if (o.kind !== 'success' || this.watchers.length === 0) return;
    this.watchers = this.watchers.filter((w) => {
      if (o.sentAt < w.from || ++w.seen < w.needed) return true;
      w.resolve(o.doneAt);
      return false;
    });
  }
}
