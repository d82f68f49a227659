import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { ReplicatedOrchestrator } from '@shoal/orchestrator';
import { NotLeaderError, type RaftDriver } from '@shoal/raft';
import { Scheduler } from '@shoal/scheduler';
import { type MemoryStore, type Proposer } from '@shoal/store';
import { toApiError } from './raft-errors';

/** How often due restarts are looked for (the orchestrator reports when the next one is due). */
const TICK_MS = 250;

/**
 * The components that run only on the leader (BRIEF decision 5): the replicated orchestrator
 * and the scheduler. They are built fresh when this node becomes leader, only after it has
 * applied its whole log, and stopped when it steps down. Their writes go straight to this
 * node's Raft and are never forwarded: a deposed leader's orchestrator must fail rather than
 * hand its decisions to the new leader, which runs its own.
 */
export class LeaderServices {
  private running?: {
    orchestrator: ReplicatedOrchestrator;
    scheduler: Scheduler;
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
    orchestrator.start();
    scheduler.start();
    const timer = setInterval(() => void orchestrator.tick(this.clock.now()), TICK_MS);
    timer.unref();
    this.running = { orchestrator, scheduler, timer };
    this.log.info('leader services started');
  }

  private stopServices(): void {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    clearInterval(r.timer);
    r.orchestrator.stop();
    void r.scheduler.stop();
    this.log.info('leader services stopped');
  }

  stop(): void {
    this.generation++;
    this.offLeaderChange();
    this.stopServices();
  }
}
