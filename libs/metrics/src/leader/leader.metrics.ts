import { type DispatcherHooks } from '@shoal/dispatcher';
import { type RestartHooks } from '@shoal/orchestrator';
import { type SchedulerHooks } from '@shoal/scheduler';
import { type MemoryStore } from '@shoal/store';
import { type Registry } from 'prom-client';
import { type CollectErrorHandler, MetricGroup } from '../registry.group';
import { StoreCensus } from './store.census';

/** What the census reads: views of the leader's own store replica. */
export type CensusStore = Pick<MemoryStore, 'view' | 'lastIndex'>;

/** The hooks LeaderStack hands to its dispatcher, scheduler and service orchestrators. */
export interface LeaderHooks {
  dispatcher: DispatcherHooks;
  scheduler: SchedulerHooks;
  restarts: RestartHooks;
}

export interface LeaderMetricsOptions {
  /** A collect function threw: its metric is left out of that scrape. */
  onCollectError?: CollectErrorHandler;
}

/**
 * Assignment to running takes an image pull and a container start: from tens of
 * milliseconds (a cached image, the process executor) to minutes (a large pull).
 */
const SCHEDULING_DELAY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/**
 * Creation to assignment is a scheduler pass, milliseconds; a task no node can take waits
 * until one can, so the buckets reach minutes too.
 */
const PLACEMENT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type ServiceLabels = { service_id: string; service_name: string };

/**
 * The leader-only series of docs/metrics.md (dispatcher, scheduler, orchestrator), on the
 * daemon's registry for as long as this node leads: LeaderServices builds one when its
 * leader stack starts and unregister()s it when the stack stops, so only the leader exports
 * them and a re-election registers them afresh.
 *
 * Two sources:
 * - the store-derived gauges (nodes, pending and unschedulable tasks, per-service desired,
 *   running and update state) are counted at scrape time by a StoreCensus, one pass over the
 *   store per applied index: the gauges of one scrape share it, and a scrape with nothing
 *   applied since the last reuses it;
 * - the event series (heartbeats, assignment → running, creation → assignment, restarts)
 *   are fed by `hooks`, which LeaderStack passes to the components.
 */
export class LeaderMetrics {
  readonly hooks: LeaderHooks;
  private readonly group: MetricGroup;
  private readonly census = new StoreCensus();
  /** The store index the census was counted at; -1 before the first count. */
  private countedAt = -1;
  private sessions: () => number = () => 0;
  /** The restart counter's series, by service ID, so removed services' series can go. */
  private readonly restartLabels = new Map<string, ServiceLabels>();

  constructor(
    registry: Registry,
    private readonly store: CensusStore,
    opts: LeaderMetricsOptions = {},
  ) {
    this.group = new MetricGroup(registry, opts.onCollectError);
    try {
      this.hooks = this.register();
    } catch (err) {
      // A name already taken: leave none of ours behind, so a later attempt starts clean.
      this.group.unregister();
      throw err;
    }
  }

  private register(): LeaderHooks {
    const g = this.group;
    const census = () => this.counted();
    const sessions = () => this.sessions();

    g.gauge({
      name: 'shoal_dispatcher_sessions',
      help: 'Open agent sessions on the leader.',
      collect() {
        this.set(sessions());
      },
    });
    const heartbeats = g.counter({
      name: 'shoal_dispatcher_heartbeats_total',
      help: 'Agent heartbeats received by the leader.',
    });
    g.gauge({
      name: 'shoal_nodes',
      help: 'Nodes by Status.State, Spec.Availability and Spec.Role.',
      labelNames: ['state', 'availability', 'role'],
      collect() {
        this.reset();
        for (const n of census().nodes.values()) this.set(n.labels, n.count);
      },
    });
    const schedulingDelay = g.histogram({
      name: 'shoal_dispatcher_scheduling_delay_seconds',
      help: 'From a task being assigned to a node until its agent reports it running.',
      buckets: SCHEDULING_DELAY_BUCKETS,
    });
    g.gauge({
      name: 'shoal_scheduler_pending_tasks',
      help: 'Tasks waiting for the scheduler to place them.',
      collect() {
        this.set(census().pending);
      },
    });
    g.gauge({
      name: 'shoal_scheduler_unschedulable_tasks',
      help: "Pending tasks by the scheduler's explanation (node counts left out).",
      labelNames: ['reason'],
      collect() {
        this.reset();
        for (const [reason, n] of census().unschedulable) this.set({ reason }, n);
      },
    });
    const placement = g.histogram({
      name: 'shoal_scheduler_placement_duration_seconds',
      help: 'From a task being created until the scheduler assigns it to a node.',
      buckets: PLACEMENT_BUCKETS,
    });
    g.gauge({
      name: 'shoal_service_replicas_desired',
      help: 'Tasks the service wants running (see docs/metrics.md for each mode).',
      labelNames: ['service_id', 'service_name', 'mode'],
      collect() {
        this.reset();
        for (const s of census().services.values()) this.set(s.desiredLabels, s.desired);
      },
    });
    g.gauge({
      name: 'shoal_service_replicas_running',
      help: "The service's tasks running now that are still meant to run.",
      labelNames: ['service_id', 'service_name'],
      collect() {
        this.reset();
        for (const s of census().services.values()) this.set(s.labels, s.running);
      },
    });
    g.gauge({
      name: 'shoal_service_update_state',
      help: "The service's UpdateStatus.State (always 1; absent when it has none).",
      labelNames: ['service_id', 'service_name', 'state'],
      collect() {
        this.reset();
        for (const s of census().services.values()) {
          if (s.updateState) this.set({ ...s.labels, state: s.updateState }, 1);
        }
      },
    });
    const restartLabels = this.restartLabels;
    const restarts = g.counter({
      name: 'shoal_service_task_restarts_total',
      help: "Tasks of the service the restart supervisor replaced since this node's term began.",
      labelNames: ['service_id', 'service_name'],
      collect() {
        const services = census().services;
        for (const [id, labels] of restartLabels) {
          if (services.has(id)) continue;
          this.remove(labels);
          restartLabels.delete(id);
        }
      },
    });

    return {
      dispatcher: {
        heartbeat: () => heartbeats.inc(),
        taskRunning: (_taskId, delayMs) => schedulingDelay.observe(Math.max(0, delayMs) / 1000),
      },
      scheduler: {
        taskAssigned: (task, assignedAt) => {
          const created = Date.parse(task.CreatedAt);
          if (Number.isFinite(created)) placement.observe(Math.max(0, assignedAt - created) / 1000);
        },
      },
      restarts: {
        taskRestarted: (serviceId, serviceName) => {
          let labels = restartLabels.get(serviceId);
          if (!labels) {
            labels = { service_id: serviceId, service_name: serviceName };
            restartLabels.set(serviceId, labels);
          }
          restarts.inc(labels);
        },
      },
    };
  }

  /** Where shoal_dispatcher_sessions reads the open sessions (the running dispatcher). */
  countSessionsWith(sessions: () => number): void {
    this.sessions = sessions;
  }

  /** Takes every leader series off the registry. Idempotent. */
  unregister(): void {
    this.group.unregister();
  }

  private counted(): StoreCensus {
    if (this.store.lastIndex !== this.countedAt) {
      this.countedAt = this.store.view((tx) => {
        this.census.count(tx);
        return tx.lastIndex;
      });
    }
    return this.census;
  }
}
