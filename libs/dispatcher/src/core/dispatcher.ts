import { TASK_STATE_ORDER, type Task, type TaskState } from '@shoal/api/swarm';
import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { type MemoryStore, type ReadTx, type StoreEvent, type StoredObject } from '@shoal/store';
import { AssignmentSet, isAssignedTo, type AssignmentMessage } from './assignment.set';
import { type DispatcherHooks, NO_DISPATCHER_HOOKS, RunningDelayTimer } from './dispatcher.hooks';
import {
  DEFAULT_HEARTBEAT_POLICY,
  heartbeatGraceMs,
  heartbeatPeriodMs,
  type HeartbeatPolicy,
} from './heartbeat.policy';
import { HeartbeatTracker } from './heartbeat.tracker';
import { sanitizeNodeDescription, sanitizeTaskStatus } from './reports.sanitizer';
import {
  DEFAULT_STATUS_BATCH_BOUNDS,
  StatusBatcher,
  type StatusBatchBounds,
} from './status.batcher';
import { type TimerPort } from './timer.port';

export type DispatcherStore = Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'>;

/** A manager as agents see it: where to reach the cluster port. */
export interface ManagerAddress {
  nodeId: string;
  addr: string;
}

/** What the dispatcher pushes down a session stream after the first message. */
export interface SessionPush {
  managers?: ManagerAddress[];
  logSubscription?: unknown;
  /** The session is over (the dispatcher stopped, or the node opened a newer one). */
  end?: string;
}

export interface OpenedSession {
  sessionId: string;
  heartbeatPeriodMs: number;
  managers: ManagerAddress[];
}

/** The call names a session that does not exist (any more): the agent must open a new one. */
export class UnknownSessionError extends Error {
  override readonly name = 'UnknownSessionError';
}

/** An agent reported on a task that is not assigned to its node. */
export class ForeignTaskError extends Error {
  override readonly name = 'ForeignTaskError';
}

/** The node is not in the store (removed, or never admitted). */
export class UnknownNodeError extends Error {
  override readonly name = 'UnknownNodeError';
}

export interface DispatcherOptions {
  store: DispatcherStore;
  clock: Clock;
  timers: TimerPort;
  newId: IdGenerator;
  logger: Logger;
  heartbeat?: HeartbeatPolicy;
  statusBatch?: StatusBatchBounds;
  /** Default: none. */
  hooks?: DispatcherHooks;
}

interface Session {
  id: string;
  nodeId: string;
  push: (msg: SessionPush) => void;
  watchers: Set<AssignmentWatcher>;
}

interface AssignmentWatcher {
  send: (msg: AssignmentMessage) => void;
  /** The session ended: the stream must end too, so the agent opens a new session. */
  end: (why: string) => void;
  set: AssignmentSet;
}

interface StatusWaiter {
  left: Set<string>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

type NodeLike = StoredObject & {
  Spec?: { Role?: string };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
  Description?: unknown;
};

const ALL_TASKS = 'all';

function sendIfAny(w: AssignmentWatcher, msg: AssignmentMessage | undefined): void {
  if (msg) w.send(msg);
}

/** How soon a failed down-marking write is tried again. */
const MARK_DOWN_RETRY_MS = 500;

const rank = (s: TaskState | undefined) => (s === undefined ? -1 : TASK_STATE_ORDER[s]);

/** Whether `a` was reported before `b` (timestamps that do not parse compare as unknown). */
function olderThan(a: { Timestamp?: string }, b: { Timestamp?: string } | undefined): boolean {
  const at = Date.parse(a.Timestamp ?? '');
  const bt = Date.parse(b?.Timestamp ?? '');
  return Number.isFinite(at) && Number.isFinite(bt) && at < bt;
}

/**
 * The leader's dispatcher core (BRIEF decision 6, after swarmkit's dispatcher), free of gRPC:
 * sessions, heartbeats and down-marking, assignment streams, and batched status writes. Timers
 * come through a TimerPort and time through the Clock, so tests drive it deterministically.
 * Built when this manager becomes leader, stopped when it steps down; every node then gets a
 * fresh grace period from the new leader, so a failover never marks healthy nodes down.
 */
export class Dispatcher {
  private readonly o: Required<Omit<DispatcherOptions, 'heartbeat' | 'statusBatch'>> & {
    heartbeat: HeartbeatPolicy;
  };
  private readonly toRunning: RunningDelayTimer;
  private readonly sessions = new Map<string, Session>();
  private readonly sessionOfNode = new Map<string, string>();
  private readonly heartbeats = new HeartbeatTracker();
  private readonly batcher: StatusBatcher;
  private waiters: StatusWaiter[] = [];
  /**
   * Per node, the tasks whose assignment may have changed since the last commit, or ALL_TASKS
   * when the node's whole set must be recomputed (after a store reset).
   */
  private readonly dirtyNodes = new Map<string, Set<string> | typeof ALL_TASKS>();
  private managersChanged = false;
  private nodeCount = 0;
  private managers: ManagerAddress[] = [];
  private cancelWatch?: () => void;
  private cancelCheck?: () => void;
  private cancelFlush?: () => void;
  private flushing?: Promise<void>;
  private marking?: Promise<void>;
  private stopped = false;
  private readonly sessionEndListeners = new Set<(nodeId: string) => void>();
  /** When the pending heartbeat check was due, to notice that it ran late. */
  private checkDueAt = 0;

  constructor(opts: DispatcherOptions) {
    this.o = {
      ...opts,
      heartbeat: opts.heartbeat ?? DEFAULT_HEARTBEAT_POLICY,
      hooks: opts.hooks ?? NO_DISPATCHER_HOOKS,
    };
    this.toRunning = new RunningDelayTimer(this.o.hooks);
    this.batcher = new StatusBatcher(opts.statusBatch ?? DEFAULT_STATUS_BATCH_BOUNDS);
  }

  start(): void {
    const { value, cancel } = this.o.store.viewAndWatch(
      (tx) => tx.list<NodeLike>('node'),
      (event) => this.onEvent(event),
      {
        kinds: ['node', 'task'],
        onError: (err) => {
          this.o.logger.warn('dispatcher watch lost; sessions will resync', {
            err: (err as Error).message,
          });
          this.endAllSessions('dispatcher restarting its watch');
          if (!this.stopped) this.start();
        },
      },
    );
    this.cancelWatch = cancel;
    const nodes = value;
    this.nodeCount = nodes.length;
    this.managers = managersOf(nodes);
    // A fresh grace for every node still up, counted from now: the previous leader's view of
    // their heartbeats is gone, and they need time to find this one.
    const now = this.o.clock.now();
    const grace = this.graceMs();
    for (const n of nodes) {
      if (n.Status?.State !== 'down') this.heartbeats.beat(n.ID, now, grace);
    }
    this.scheduleCheck();
  }

  stop(): void {
    this.stopped = true;
    this.cancelWatch?.();
    this.cancelCheck?.();
    this.cancelFlush?.();
    this.endAllSessions('the dispatcher stopped (leadership moved)');
    this.toRunning.clear();
    for (const w of this.waiters) w.reject(new Error('the dispatcher stopped before writing'));
    this.waiters = [];
  }

  /** The current heartbeat period, for the cluster's size. */
  periodMs(): number {
    return heartbeatPeriodMs(this.nodeCount, this.o.heartbeat);
  }

  private graceMs(): number {
    return heartbeatGraceMs(this.periodMs(), this.o.heartbeat);
  }

  /**
   * Opens a session for `nodeId` (from its certificate): records its description and address
   * and marks it ready. A node has one session; opening another ends the previous one.
   */
  async openSession(
    nodeId: string,
    descriptionJson: string,
    peerAddr: string,
    push: (msg: SessionPush) => void,
  ): Promise<OpenedSession> {
    this.assertRunning();
    const description = sanitizeNodeDescription(descriptionJson);
    await this.o.store.update((tx) => {
      const node = tx.get<NodeLike>('node', nodeId);
      if (!node) throw new UnknownNodeError(`node ${nodeId} is not part of this swarm`);
      const next = structuredClone(node) as NodeLike;
      next.Status = {
        ...next.Status,
        State: 'ready',
        Message: '',
        Addr: observedAddr(peerAddr, next.Status?.Addr),
      };
      if (description) next.Description = description;
      tx.update('node', next);
    });
    this.assertRunning();
    const previous = this.sessionOfNode.get(nodeId);
    if (previous) this.endSession(previous, 'replaced by a newer session of the same node');
    const session: Session = { id: this.o.newId(), nodeId, push, watchers: new Set() };
    this.sessions.set(session.id, session);
    this.sessionOfNode.set(nodeId, session.id);
    this.heartbeats.beat(nodeId, this.o.clock.now(), this.graceMs());
    this.scheduleCheck();
    return { sessionId: session.id, heartbeatPeriodMs: this.periodMs(), managers: this.managers };
  }

  /** The session stream ended (the agent went away or moved on). */
  closeSession(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    if (this.sessionOfNode.get(s.nodeId) !== sessionId) return;
    this.sessionOfNode.delete(s.nodeId);
    for (const l of this.sessionEndListeners) l(s.nodeId);
  }

  /** Called with the node's ID whenever a node is left with no session. */
  onSessionEnd(listener: (nodeId: string) => void): () => void {
    this.sessionEndListeners.add(listener);
    return () => this.sessionEndListeners.delete(listener);
  }

  /** A heartbeat; answers with the period for the next one. */
  heartbeat(nodeId: string, sessionId: string): number {
    this.session(nodeId, sessionId);
    this.heartbeats.beat(nodeId, this.o.clock.now(), this.graceMs());
    this.o.hooks.heartbeat(nodeId);
    this.scheduleCheck();
    return this.periodMs();
  }

  /**
   * Streams the node's assignments to `send`: the complete set now, then the changes after
   * each commit that touched the node's tasks. Returns the function that stops it.
   */
  watchAssignments(
    nodeId: string,
    sessionId: string,
    send: (msg: AssignmentMessage) => void,
    end: (why: string) => void,
  ): () => void {
    const session = this.session(nodeId, sessionId);
    const watcher: AssignmentWatcher = { send, end, set: new AssignmentSet() };
    session.watchers.add(watcher);
    send(watcher.set.complete(this.o.store.view((tx) => assignedTasks(tx, nodeId))));
    return () => session.watchers.delete(watcher);
  }

  /**
   * Queues status reports from `nodeId` and resolves once they are written to the store. A
   * report about a task not assigned to the node refuses the whole batch.
   */
  updateTaskStatus(
    nodeId: string,
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void> {
    this.session(nodeId, sessionId);
    const parsed = updates.map((u) => ({
      taskId: u.taskId,
      status: sanitizeTaskStatus(u.statusJson),
    }));
    const foreign = this.o.store.view((tx) =>
      parsed
        .filter(({ taskId }) => tx.get<Task & StoredObject>('task', taskId)?.NodeID !== nodeId)
        .map(({ taskId }) => taskId),
    );
    if (foreign.length > 0) {
      this.o.logger.warn('refused status reports for tasks not assigned to the reporting node', {
        node: nodeId,
        tasks: foreign.slice(0, 10),
      });
      return Promise.reject(
        new ForeignTaskError(
          `tasks not assigned to node ${nodeId}: ${foreign.slice(0, 10).join(', ')}`,
        ),
      );
    }
    if (parsed.length === 0) return Promise.resolve();
    const now = this.o.clock.now();
    for (const p of parsed) this.batcher.add(p.taskId, { nodeId, status: p.status }, now);
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.push({ left: new Set(parsed.map((p) => p.taskId)), resolve, reject }),
    );
    this.scheduleFlush();
    return done;
  }

  /** Sends `msg` down the node's session, if it has one; false when it has none. */
  pushToNode(nodeId: string, msg: SessionPush): boolean {
    const id = this.sessionOfNode.get(nodeId);
    const s = id ? this.sessions.get(id) : undefined;
    if (!s) return false;
    s.push(msg);
    return true;
  }

  hasSession(nodeId: string): boolean {
    return this.sessionOfNode.has(nodeId);
  }

  /** For tests and metrics. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private session(nodeId: string, sessionId: string): Session {
    this.assertRunning();
    const s = this.sessions.get(sessionId);
    if (!s || s.nodeId !== nodeId) {
      throw new UnknownSessionError(`no session ${sessionId} for node ${nodeId}; open a new one`);
    }
    return s;
  }

  private assertRunning(): void {
    if (this.stopped) throw new UnknownSessionError('the dispatcher stopped (leadership moved)');
  }

  private endSession(sessionId: string, why: string): void {
    const s = this.sessions.get(sessionId);
    this.closeSession(sessionId);
    s?.push({ end: why });
    for (const w of s?.watchers ?? []) w.end(why);
  }

  private endAllSessions(why: string): void {
    for (const id of [...this.sessions.keys()]) this.endSession(id, why);
  }

  private onEvent(event: StoreEvent): void {
    if (this.stopped) return;
    if (event.type === 'reset') {
      this.toRunning.clear();
      for (const s of this.sessions.values()) this.dirtyNodes.set(s.nodeId, ALL_TASKS);
      this.managersChanged = true;
      return;
    }
    if (event.type === 'commit') {
      this.publish();
      return;
    }
    if (event.kind === 'task') {
      const now = event.object as Task;
      const before = event.previous as Task | undefined;
      this.toRunning.observe(event);
      // Most task writes are the agents' own status reports, which change nothing an agent is
      // sent: recomputing the node's assignments for them cost the leader more than anything
      // else at scale (issue 6's benchmark).
      if (event.action === 'update' && before && !changesAssignments(before, now)) return;
      if (now.NodeID) this.markDirty(now.NodeID, now.ID!);
      if (before?.NodeID && before.NodeID !== now.NodeID) this.markDirty(before.NodeID, now.ID!);
    } else if (event.kind === 'node') {
      if (event.action !== 'update') this.nodeCount += event.action === 'create' ? 1 : -1;
      if (event.action === 'remove') {
        this.heartbeats.forget(event.object.ID);
        const id = this.sessionOfNode.get(event.object.ID);
        if (id) this.endSession(id, 'the node was removed from the swarm');
      }
      this.managersChanged = true;
    }
  }

  /** After a commit: the changed nodes' assignment streams, and the manager list. */
  private publish(): void {
    if (this.managersChanged) {
      this.managersChanged = false;
      const managers = this.o.store.view((tx) => managersOf(tx.list<NodeLike>('node')));
      if (JSON.stringify(managers) !== JSON.stringify(this.managers)) {
        this.managers = managers;
        for (const s of this.sessions.values()) s.push({ managers });
      }
    }
    if (this.dirtyNodes.size === 0) return;
    const nodes = [...this.dirtyNodes];
    this.dirtyNodes.clear();
    this.o.store.view((tx) => {
      for (const [nodeId, taskIds] of nodes) {
        const id = this.sessionOfNode.get(nodeId);
        const s = id ? this.sessions.get(id) : undefined;
        if (!s || s.watchers.size === 0) continue;
        if (taskIds === ALL_TASKS) {
          const tasks = assignedTasks(tx, nodeId);
          for (const w of s.watchers) sendIfAny(w, w.set.next(tasks));
          continue;
        }
        const tasks = new Map<string, Task | undefined>();
        for (const taskId of taskIds) {
          const t = tx.get<Task & StoredObject>('task', taskId);
          tasks.set(taskId, t && isAssignedTo(t, nodeId) ? t : undefined);
        }
        for (const w of s.watchers) sendIfAny(w, w.set.changed(tasks));
      }
    });
  }

  private markDirty(nodeId: string, taskId: string): void {
    const tasks = this.dirtyNodes.get(nodeId);
    if (tasks === ALL_TASKS) return;
    if (tasks) tasks.add(taskId);
    else this.dirtyNodes.set(nodeId, new Set([taskId]));
  }

  private scheduleFlush(): void {
    if (this.flushing || this.cancelFlush) return;
    const due = this.batcher.dueAt();
    if (due === undefined) return;
    const delay = Math.max(0, due - this.o.clock.now());
    this.cancelFlush = this.o.timers.setTimeout(() => {
      this.cancelFlush = undefined;
      void this.flush();
    }, delay);
  }

  /** Writes one batch of status reports in one store transaction. */
  private async flush(): Promise<void> {
    if (this.stopped || this.batcher.size === 0) return;
    const batch = this.batcher.take();
    // Only calls made before the take are answered by this write: a later report for a task
    // in it is still pending in the batcher, and must not be acknowledged with this one.
    const answered = new Set(this.waiters);
    this.flushing = (async () => {
      try {
        await this.o.store.update((tx) => {
          for (const [taskId, { nodeId, status }] of batch) {
            const task = tx.get<Task & StoredObject>('task', taskId);
            // Moved or deleted meanwhile, or a report older than what is stored: skip it.
            if (!task || task.NodeID !== nodeId) continue;
            if (rank(status.State) < rank(task.Status?.State)) continue;
            // A report resent after an agent restart may repeat the stored state with an
            // older time; taking it would restart every window timed from that state.
            if (status.State === task.Status?.State && olderThan(status, task.Status)) continue;
            // tx.update copies what it is given, so a shallow copy is enough: a deep one per
            // report was a visible share of the leader's CPU (issue 6's benchmark).
            tx.update<Task & StoredObject>('task', { ...task, Status: status });
          }
        });
        this.settle(answered, batch.keys());
      } catch (err) {
        this.settle(answered, batch.keys(), err);
      }
    })();
    await this.flushing;
    this.flushing = undefined;
    if (!this.stopped) this.scheduleFlush();
  }

  private settle(answered: Set<StatusWaiter>, ids: Iterable<string>, err?: unknown): void {
    const done = new Set(ids);
    const keep: StatusWaiter[] = [];
    for (const w of this.waiters) {
      if (!answered.has(w)) {
        keep.push(w);
        continue;
      }
      // Walk the waiter's own reports, not the whole batch: with a thousand agents waiting,
      // the batch-sized walk per waiter was a leading cost of every write (issue 6's benchmark).
      if (err !== undefined && [...w.left].some((id) => done.has(id))) {
        w.reject(err);
        continue;
      }
      for (const id of w.left) if (done.has(id)) w.left.delete(id);
      if (w.left.size === 0) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private scheduleCheck(): void {
    this.cancelCheck?.();
    const next = this.heartbeats.nextDeadline();
    if (next === undefined || this.stopped) return;
    this.checkDueAt = next;
    this.cancelCheck = this.o.timers.setTimeout(
      () => {
        this.cancelCheck = undefined;
        void this.markExpired();
      },
      Math.max(0, next - this.o.clock.now()),
    );
  }

  /** Nodes past their grace are marked down (one write for all), and their sessions end. */
  private async markExpired(): Promise<void> {
    if (this.stopped || this.marking) return;
    const now = this.o.clock.now();
    if (now - this.checkDueAt > this.periodMs()) {
      // This check ran a whole period late: the leader itself stalled (GC, a blocked loop),
      // so the heartbeats queued meanwhile have not been read. Judge no node on that.
      this.o.logger.warn('heartbeat check ran late; every node gets a fresh grace period', {
        lateMs: now - this.checkDueAt,
      });
      for (const nodeId of this.heartbeats.expire(Infinity)) {
        this.heartbeats.beat(nodeId, now, this.graceMs());
      }
      this.scheduleCheck();
      return;
    }
    const expired = this.heartbeats.expire(now);
    if (expired.length > 0) {
      for (const nodeId of expired) {
        const id = this.sessionOfNode.get(nodeId);
        if (id) this.endSession(id, 'heartbeat grace period expired');
      }
      this.marking = this.o.store
        .update((tx) => {
          for (const nodeId of expired) {
            const node = tx.get<NodeLike>('node', nodeId);
            if (!node || node.Status?.State === 'down') continue;
            const next = structuredClone(node) as NodeLike;
            next.Status = { ...next.Status, State: 'down', Message: 'heartbeat failure' };
            tx.update('node', next);
          }
        })
        .then(
          () =>
            this.o.logger.warn('nodes marked down: no heartbeat within the grace period', {
              nodes: expired,
            }),
          (err: Error) => {
            // Try again shortly: they stay expired until they beat.
            const now = this.o.clock.now();
            for (const nodeId of expired) this.heartbeats.beat(nodeId, now, MARK_DOWN_RETRY_MS);
            this.o.logger.warn('could not mark nodes down', { err: err.message });
          },
        )
        .finally(() => (this.marking = undefined));
      await this.marking;
    }
    this.scheduleCheck();
  }
}

/**
 * Whether an update of a task can change what its node's agent is sent: the agent is sent a
 * task when it becomes the node's (isAssignedTo) and again only when its DesiredState changes
 * (see AssignmentSet), so an update that moves neither is invisible to it.
 */
function changesAssignments(before: Task, now: Task): boolean {
  return (
    before.NodeID !== now.NodeID ||
    before.DesiredState !== now.DesiredState ||
    isAssignedTo(before, before.NodeID ?? '') !== isAssignedTo(now, now.NodeID ?? '')
  );
}

/** The tasks assigned to `nodeId`, in a stable order. */
function assignedTasks(tx: ReadTx, nodeId: string): Task[] {
  return tx
    .tasksByNode<Task & StoredObject>(nodeId)
    .filter((t) => isAssignedTo(t, nodeId))
    .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

function managersOf(nodes: readonly NodeLike[]): ManagerAddress[] {
  return nodes
    .filter((n) => n.Spec?.Role === 'manager' && n.ManagerStatus?.Addr)
    .map((n) => ({ nodeId: n.ID, addr: n.ManagerStatus!.Addr! }))
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
}

/**
 * The address to record for a node: the one its session came from, as swarmkit does, except
 * when that is a loopback address and the node already has one (the address it advertised
 * when it joined). A loopback source only says the agent shares the manager's host; the
 * kernel picked it, not the node, and it would point every such node (say, several nodes on
 * distinct 127.0.0.x addresses of one test host) at the manager's own address.
 */
export function observedAddr(peerAddr: string, known: string | undefined): string {
  const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(peerAddr) || peerAddr === '::1';
  return loopback && known ? known : peerAddr;
}
