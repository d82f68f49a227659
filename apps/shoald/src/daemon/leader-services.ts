import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { type Dispatcher, type LogBroker, systemTimers } from '@shoal/dispatcher';
import { NotLeaderError, type RaftDriver } from '@shoal/raft';
import { LeaderMetrics } from '@shoal/metrics';
import { type MemoryStore, type Proposer } from '@shoal/store';
import { type Registry } from 'prom-client';
import { LeaderStack } from './leader-stack';
import { toApiError } from './raft-errors';

/**
 * Runs the leader-only components (LeaderStack) while this node leads: built fresh when it
 * becomes leader, only after it has applied its whole log, and stopped when it steps down.
 * Their writes go straight to this node's Raft and are never forwarded: a deposed leader's
 * orchestrator must fail rather than hand its decisions to the new leader, which runs its own.
 */
export class LeaderServices {
  private running?: LeaderStack;
  /** The leader series on `metrics`, while the stack runs. */
  private leaderMetrics?: LeaderMetrics;
  /** Bumped on every leadership change, so a start that finishes late knows it is stale. */
  private generation = 0;
  private readonly offLeaderChange: () => void;

  constructor(
    private readonly driver: RaftDriver,
    private readonly store: MemoryStore,
    private readonly clock: Clock,
    private readonly newId: IdGenerator,
    private readonly log: Logger,
    /** The daemon's registry: the leader series are on it while this node leads. */
    private readonly metrics?: Registry,
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
    const metrics = this.leaderMetricsOrNone();
    try {
      this.running = new LeaderStack({
        store: this.store,
        proposer,
        clock: this.clock,
        timers: systemTimers,
        newId: this.newId,
        logger: this.log,
        ...(metrics ? { hooks: metrics.hooks } : {}),
      });
    } catch (err) {
      metrics?.unregister();
      throw err;
    }
    const dispatcher = this.running.dispatcher;
    metrics?.countSessionsWith(() => dispatcher.sessionCount);
    this.leaderMetrics = metrics;
    this.running.start();
    this.log.info('leader services started');
  }

  /**
   * The leader series on the daemon's registry, if it has one. Leading matters more than
   * its metrics: if they cannot be registered (a name taken by a stray metric), the stack
   * runs without them and the failure is logged.
   */
  private leaderMetricsOrNone(): LeaderMetrics | undefined {
    if (!this.metrics) return undefined;
    try {
      return new LeaderMetrics(this.metrics, this.store, {
        onCollectError: (metric, err) =>
          this.log.warn('leader metric not collected', { metric, err: `${err}` }),
      });
    } catch (err) {
      this.log.warn('leader metrics not registered', { err: `${err}` });
      return undefined;
    }
  }

  private stopServices(): void {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    this.leaderMetrics?.unregister();
    this.leaderMetrics = undefined;
    r.stop();
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
