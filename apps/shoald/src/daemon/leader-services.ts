import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { Dispatcher, LogBroker, type TimerPort } from '@shoal/dispatcher';
import {
  ConstraintEnforcer,
  GlobalOrchestrator,
  JobsOrchestrator,
  ReplicatedOrchestrator,
  ServiceRebalancer,
  TaskReaper,
  UpdateSupervisor,
} from '@shoal/orchestrator';
import { NotLeaderError, type RaftDriver } from '@shoal/raft';
import { Scheduler } from '@shoal/scheduler';
import { type MemoryStore, type Proposer } from '@shoal/store';
import { toApiError } from './raft-errors';

/** How often due restarts are looked for (the orchestrator reports when the next one is due). */
const TICK_MS = 250;

const realTimers: TimerPort = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/**
 * The components that run only on the leader (BRIEF decision 5): the replicated, global and
 * jobs orchestrators, the rolling updater, the constraint enforcer, the task reaper, the
 * opt-in rebalancer, the scheduler, and the dispatcher with its log broker. They are built
 * fresh when this node becomes leader, only after it has applied its whole log, and stopped
 * when it steps down.
 * Their writes go straight to this node's Raft and are never forwarded: a deposed leader's
 * orchestrator must fail rather than hand its decisions to the new leader, which runs its own.
 */
export class LeaderServices {
  private running?: {
    orchestrator: ReplicatedOrchestrator;
    globalOrchestrator: GlobalOrchestrator;
    jobsOrchestrator: JobsOrchestrator;
    reaper: TaskReaper;
    enforcer: ConstraintEnforcer;
    rebalancer: ServiceRebalancer;
    updater: UpdateSupervisor;
    scheduler: Scheduler;
    dispatcher: Dispatcher;
    logs: LogBroker;
    timer: NodeJS.Timeout;
  };
  /** Bumped on every leadership change, so a start that finishes late knows it is stale. */
  private generation = 0;
  private readonly offLeaderChange: () => void;

  constructor(
    private readonly driver: RaftDriver,
    private readonly store: MemoryStore,
    private readonly clock: Clock,
    private readonly newId: IdGenerator,
    private readonly log: Logger,
  ) {
    this.offLeaderChange = driver.onLeaderChange((leader) => this.onLeader(leader));
    this.onLeader(driver.leaderId());
  }

  private onLeader(leader: string | undefined): void {
    const generation = ++this.generation;
    this.stopServices();
    if (leader !== this.driver.id) return;
    // Everything committed before this term must be applied before deciding anything.
    this.driver.readBarrier().then(
      () => {
        if (generation === this.generation && this.driver.isLeader()) this.startServices();
      },
      (err: Error) => this.log.warn('leader services not started', { err: err.message }),
    );
  }

  private startServices(): void {
    const proposer: Proposer = {
      propose: async (data) => {
        try {
          return await this.driver.propose(data);
        } catch (err) {
          throw err instanceof NotLeaderError ? err : toApiError(err);
        }
      },
    };
    const store: Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'> = {
      view: (fn) => this.store.view(fn),
      viewAndWatch: (fn, listener, opts) => this.store.viewAndWatch(fn, listener, opts),
      update: (fn) => this.store.update(fn, { proposer }),
    };
    const orchestrator = new ReplicatedOrchestrator({
      store,
      clock: this.clock,
      newId: this.newId,
      logger: this.log.child({ component: 'orchestrator' }),
    });
    const scheduler = new Scheduler({
      store,
      clock: this.clock,
      onError: (err) => this.log.warn('scheduler write failed', { err: (err as Error).message }),
    });
    const dispatcher = new Dispatcher({
      store,
      clock: this.clock,
      timers: realTimers,
      newId: this.newId,
      logger: this.log.child({ component: 'dispatcher' }),
    });
    const logs = new LogBroker(dispatcher, this.newId, this.log.child({ component: 'logs' }));
    const globalOrchestrator = new GlobalOrchestrator({
      store,
      clock: this.clock,
      newId: this.newId,
      logger: this.log.child({ component: 'global-orchestrator' }),
    });
    const jobsOrchestrator = new JobsOrchestrator({
      store,
      clock: this.clock,
      newId: this.newId,
      logger: this.log.child({ component: 'jobs-orchestrator' }),
    });
    const reaper = new TaskReaper({
      store,
      clock: this.clock,
      logger: this.log.child({ component: 'task-reaper' }),
    });
    const enforcer = new ConstraintEnforcer({
      store,
      logger: this.log.child({ component: 'constraint-enforcer' }),
    });
    const rebalancer = new ServiceRebalancer({
      store,
      clock: this.clock,
      newId: this.newId,
      logger: this.log.child({ component: 'rebalancer' }),
    });
    const updater = new UpdateSupervisor({
      store,
      clock: this.clock,
      newId: this.newId,
      logger: this.log.child({ component: 'updater' }),
    });
    dispatcher.start();
    orchestrator.start();
    updater.start();
    globalOrchestrator.start();
    jobsOrchestrator.start();
    enforcer.start();
    reaper.start();
    rebalancer.start();
    scheduler.start();
    const timer = setInterval(() => {
      const now = this.clock.now();
      void orchestrator.tick(now);
      void globalOrchestrator.tick(now);
      void jobsOrchestrator.tick(now);
      void rebalancer.tick(now);
      void updater.tick(now);
    }, TICK_MS);
    timer.unref();
    this.running = {
      orchestrator,
      globalOrchestrator,
      jobsOrchestrator,
      reaper,
      enforcer,
      rebalancer,
      updater,
      scheduler,
      dispatcher,
      logs,
      timer,
    };
    this.log.info('leader services started');
  }

  private stopServices(): void {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    clearInterval(r.timer);
    r.logs.stop();
    r.dispatcher.stop();
    r.orchestrator.stop();
    r.globalOrchestrator.stop();
    r.jobsOrchestrator.stop();
    r.enforcer.stop();
    r.reaper.stop();
    r.rebalancer.stop();
    r.updater.stop();
    void r.scheduler.stop();
    this.log.info('leader services stopped');
  }

  /** The dispatcher and log broker while this node leads and they run. */
  dispatch(): { dispatcher: Dispatcher; logs: LogBroker } | undefined {
    const r = this.running;
    return r ? { dispatcher: r.dispatcher, logs: r.logs } : undefined;
  }

  stop(): void {
    this.generation++;
    this.offLeaderChange();
    this.stopServices();
  }
}
