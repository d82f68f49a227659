import { RUN_LABEL } from '../api/workload';
import {
  serviceSpec,
  type SystemName,
  type TaskView,
  type WorkloadOptions,
} from '../convergence/convergence';
import { median, round } from '../raft/stats';

/**
 * The pure parts of the rolling-update benchmark: the service both systems get, the update
 * that rolls it, when an update counts as done, and the figures of a set of runs.
 */

export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateOptions {
  parallelism: number;
  delayMs: number;
  /** Both systems get the same explicit Monitor (Swarm's default of 5 s would dominate). */
  monitorMs: number;
}

export interface HealthOptions {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
}

const NS_PER_MS = 1_000_000;

/** The env variable whose value changes with each update: the spec the tasks must run. */
export const MARKER_ENV = 'SHOAL_BENCH_ROLL';

export function markerOf(generation: number): string {
  return `${MARKER_ENV}=${generation}`;
}

/** A health check that costs one exec and nothing else: busybox's `true`, no shell. */
export function healthcheckOf(h: HealthOptions): Record<string, unknown> {
  return {
    Test: ['CMD', '/bin/busybox', 'true'],
    Interval: h.intervalMs * NS_PER_MS,
    Timeout: h.timeoutMs * NS_PER_MS,
    Retries: h.retries,
    StartPeriod: 0,
  };
}

/**
 * The body of `POST /services/create` (generation 0) and of the update (generation 1), byte
 * for byte the same for both systems: convergence's spec (image by ID, `Init: true`,
 * RestartPolicy any), plus the marker env, an optional healthcheck, and an UpdateConfig with
 * this order, FailureAction pause and MaxFailureRatio 0 (Swarm's defaults).
 */
export function rollingSpec(
  name: string,
  replicas: number,
  w: WorkloadOptions,
  benchLabel: string,
  runId: string,
  o: { generation: number; order: UpdateOrder; update: UpdateOptions; health?: HealthOptions },
): Record<string, unknown> {
  const base = serviceSpec(name, replicas, w, benchLabel) as {
    Labels: Record<string, string>;
    TaskTemplate: { ContainerSpec: Record<string, unknown> } & Record<string, unknown>;
  } & Record<string, unknown>;
  return {
    ...base,
    Labels: { ...base.Labels, [RUN_LABEL]: runId },
    TaskTemplate: {
      ...base.TaskTemplate,
      ContainerSpec: {
        ...base.TaskTemplate.ContainerSpec,
        Env: [markerOf(o.generation)],
        ...(o.health ? { Healthcheck: healthcheckOf(o.health) } : {}),
      },
    },
    UpdateConfig: {
      Parallelism: o.update.parallelism,
      Delay: o.update.delayMs * NS_PER_MS,
      FailureAction: 'pause',
      Monitor: o.update.monitorMs * NS_PER_MS,
      MaxFailureRatio: 0,
      Order: o.order,
    },
  };
}

/** A `GET /tasks` entry with the part of its spec that says which generation it runs. */
export interface SpecTaskView extends TaskView {
  Spec?: { ContainerSpec?: { Env?: string[] } };
}

/** Tasks desired running, running, and made from the spec carrying `marker`. */
export function runningWith(tasks: readonly SpecTaskView[], marker: string): number {
  return tasks.filter(
    (t) =>
      t.DesiredState === 'running' &&
      t.Status?.State === 'running' &&
      (t.Spec?.ContainerSpec?.Env ?? []).includes(marker),
  ).length;
}

export interface UpdateStatusView {
  State?: string;
  Message?: string;
}

/** UpdateStatus states from which the update will not complete without an operator. */
const STUCK = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);

export type UpdateProgress =
  { kind: 'done' } | { kind: 'waiting' } | { kind: 'stuck'; why: string };

/**
 * Where an update stands: done once UpdateStatus says completed and `replicas` tasks run the
 * new spec; stuck when it paused or rolled back (the run cannot finish on its own).
 */
export function updateProgress(
  status: UpdateStatusView | undefined,
  tasks: readonly SpecTaskView[],
  marker: string,
  replicas: number,
): UpdateProgress {
  if (status?.State && STUCK.has(status.State)) {
    return { kind: 'stuck', why: `update ${status.State}: ${status.Message ?? ''}`.trim() };
  }
  if (status?.State === 'completed' && runningWith(tasks, marker) >= replicas) {
    return { kind: 'done' };
  }
  return { kind: 'waiting' };
}

/** The part of a `GET /containers/json` entry the sampler reads. */
export interface ContainerView {
  State?: string;
  /** e.g. "Up 3 seconds (healthy)", "Up 1 second (health: starting)". */
  Status?: string;
}

/**
 * Containers the engine runs and, when the service has a healthcheck, reports healthy (the
 * engine appends "(healthy)" to the status of a running container whose last check passed).
 */
export function availableContainers(
  containers: readonly ContainerView[],
  healthchecked: boolean,
): number {
  return containers.filter(
    (c) => c.State === 'running' && (!healthchecked || /\(healthy\)/.test(c.Status ?? '')),
  ).length;
}

/** One update of one system. */
export interface UpdateRun {
  system: SystemName;
  order: UpdateOrder;
  run: number;
  /** From the update request until completed with every replica on the new spec. */
  updateMs: number;
  /** Fewest replicas available in any sample (engine: running and healthy containers). */
  minEngine: number | null;
  /** Fewest tasks desired running and running in any sample (the API's view). */
  minApi: number | null;
  samples: number;
  maxGapMs: number | null;
}

export interface OrderFigures {
  updateMs: number[];
  updateMedianMs: number | null;
  /** Fewest available over all runs, per view; null without samples. */
  minEngine: number | null;
  minApi: number | null;
  samples: number;
  maxGapMs: number | null;
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((x): x is number => x !== null);
}

function minOf(values: readonly (number | null)[]): number | null {
  const v = present(values);
  return v.length ? Math.min(...v) : null;
}

function maxOf(values: readonly (number | null)[]): number | null {
  const v = present(values);
  return v.length ? Math.max(...v) : null;
}

export function orderFigures(
  runs: readonly UpdateRun[],
  system: SystemName,
  order: UpdateOrder,
): OrderFigures {
  const mine = runs
    .filter((r) => r.system === system && r.order === order)
    .sort((a, b) => a.run - b.run);
  const ms = mine.map((r) => r.updateMs);
  return {
    updateMs: ms.map((v) => round(v, 0)!),
    updateMedianMs: round(median(ms), 0),
    minEngine: minOf(mine.map((r) => r.minEngine)),
    minApi: minOf(mine.map((r) => r.minApi)),
    samples: mine.reduce((n, r) => n + r.samples, 0),
    maxGapMs: round(maxOf(mine.map((r) => r.maxGapMs)) ?? NaN, 0),
  };
}

/** Shoal's median over Swarm's: below 1 means Shoal finished sooner. */
export function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : round(a / b, 2);
}
