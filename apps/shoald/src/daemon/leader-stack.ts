import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import {
  Dispatcher,
  type DispatcherHooks,
  LogBroker,
  type HeartbeatPolicy,
  type TimerPort,
} from '@shoal/dispatcher';
import {
  ConstraintEnforcer,
  GlobalOrchestrator,
  JobsOrchestrator,
  ReplicatedOrchestrator,
  type RestartHooks,
  ServiceRebalancer,
  TaskReaper,
  UpdateSupervisor,
} from '@shoal/orchestrator';
import { Scheduler, type SchedulerHooks } from '@shoal/scheduler';
import { type MemoryStore, type Proposer } from '@shoal/store';

/** How often due restarts, delays and monitor windows are looked for. */
const TICK_MS = 250;

export interface LeaderStackOptions {
  /** This manager's store: reads and watches are local. */
  store: MemoryStore;
  /** Writes go straight to this manager's Raft, never forwarded (see LeaderServices). */
  proposer: Proposer;
  clock: Clock;
  /** The dispatcher's and the ticks' timers: real ones in shoald, virtual in the simulator. */
  timers: TimerPort;
  newId: IdGenerator;
  logger: Logger;
  heartbeat?: HeartbeatPolicy;
  /**
   * How the orchestrators hand the event loop back between services. Default one
   * setImmediate turn; the deterministic simulator passes a microtask.
   */
  yieldToEventLoop?: () => Promise<void>;
  /** Observers of the components (the leader's metrics, see LeaderMetrics). Default: none. */
  hooks?: LeaderStackHooks;
}

export interface LeaderStackHooks {
  dispatcher?: DispatcherHooks;
  scheduler?: SchedulerHooks;
  /** For the replicated, global and jobs orchestrators. */
  restarts?: RestartHooks;
}

/**
 * The components that run only on the leader (BRIEF decision 5), built together and started
 * and stopped together: the replicated, global and jobs orchestrators, the rolling updater,
 * the constraint enforcer, the task reaper, the opt-in rebalancer, the scheduler, and the
 * dispatcher with its log broker; and the timer that ticks the orchestrators. LeaderServices
 * builds one per term it leads; the cluster simulator (test/sim/cluster) builds the same one
 * on virtual time.
 */
export class LeaderStack {
  readonly dispatcher: Dispatcher;
  readonly logs: LogBroker;
  private readonly scheduler: Scheduler;
  private readonly reaper: TaskReaper;
  private readonly enforcer: ConstraintEnforcer;
  /** Everything that tick()s, in the order they start. */
  private readonly loops: {
    start(): void;
    stop(): void;
    tick(now: number): Promise<void>;
  }[];
  private cancelTick?: () => void;
  private stopped = false;
  /** The options' timers, silenced once stopped (a cancelled callback may already be queued). */
  private readonly timers: TimerPort;

  constructor(private readonly o: LeaderStackOptions) {
    const { clock, newId, logger: log, hooks = {} } = o;
    this.timers = {
      setTimeout: (fn, ms) => o.timers.setTimeout(() => this.stopped || fn(), ms),
    };
    const store: Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'> = {
      view: (fn) => o.store.view(fn),
      viewAndWatch: (fn, listener, opts) => o.store.viewAndWatch(fn, listener, opts),
      update: (fn) => o.store.update(fn, { proposer: o.proposer }),
    };
    const loop = (component: string) => ({
      store,
      clock,
      newId,
      logger: log.child({ component }),
      ...(o.yieldToEventLoop ? { yieldToEventLoop: o.yieldToEventLoop } : {}),
    });
    this.dispatcher = new Dispatcher({
      store,
      clock,
      timers: this.timers,
      newId,
      logger: log.child({ component: 'dispatcher' }),
      ...(o.heartbeat ? { heartbeat: o.heartbeat } : {}),
      ...(hooks.dispatcher ? { hooks: hooks.dispatcher } : {}),
    });
    this.logs = new LogBroker(this.dispatcher, newId, log.child({ component: 'logs' }));
    this.scheduler = new Scheduler({
      store,
      clock,
      onError: (err) => log.warn('scheduler write failed', { err: (err as Error).message }),
      ...(hooks.scheduler ? { hooks: hooks.scheduler } : {}),
    });
    this.reaper = new TaskReaper({ store, clock, logger: log.child({ component: 'task-reaper' }) });
    this.enforcer = new ConstraintEnforcer({
      store,
      logger: log.child({ component: 'constraint-enforcer' }),
    });
    const restarts = hooks.restarts ? { hooks: hooks.restarts } : {};
    this.loops = [
      new ReplicatedOrchestrator({ ...loop('orchestrator'), ...restarts }),
      new UpdateSupervisor(loop('updater')),
      new GlobalOrchestrator({ ...loop('global-orchestrator'), ...restarts }),
      new JobsOrchestrator({ ...loop('jobs-orchestrator'), ...restarts }),
      new ServiceRebalancer(loop('rebalancer')),
    ];
  }

  start(): void {
    this.dispatcher.start();
    for (const l of this.loops) l.start();
    this.enforcer.start();
    this.reaper.start();
    this.scheduler.start();
    const tick = () => {
      const now = this.o.clock.now();
      for (const l of this.loops) void l.tick(now);
      this.cancelTick = this.timers.setTimeout(tick, TICK_MS);
    };
    this.cancelTick = this.timers.setTimeout(tick, TICK_MS);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTick?.();
    this.logs.stop();
    this.dispatcher.stop();
    for (const l of this.loops) l.stop();
    this.enforcer.stop();
    this.reaper.stop();
    void this.scheduler.stop();
  }
}
