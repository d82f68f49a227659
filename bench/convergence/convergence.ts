import { median, round } from '../raft/stats';

/**
 * The pure parts of the convergence benchmark: the one service spec both systems get, what
 * counts as converged, and the figures of a set of runs.
 */

export type SystemName = 'shoal' | 'swarm';

export interface WorkloadOptions {
  /** The image reference both systems run (by default busybox:local's image ID). */
  image: string;
  command: string[];
  args: string[];
}

/**
 * The body of `POST /services/create` (and, with another replica count, of the update that
 * scales it), byte for byte the same for both systems. `Init: true` makes stops quick (the
 * engine's init passes SIGTERM on to the command, which as PID 1 would ignore it); the run
 * label lets the teardown find what a crashed run left.
 */
export function serviceSpec(
  name: string,
  replicas: number,
  w: WorkloadOptions,
  runLabel: string,
): Record<string, unknown> {
  return {
    Name: name,
    Labels: { 'shoal.bench': runLabel },
    TaskTemplate: {
      ContainerSpec: { Image: w.image, Command: w.command, Args: w.args, Init: true },
      RestartPolicy: { Condition: 'any' },
    },
    Mode: { Replicated: { Replicas: replicas } },
  };
}

/** The part of a `GET /tasks` entry the benchmark reads. */
export interface TaskView {
  ID: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string };
}

/** Tasks that should run and report running. */
export function runningCount(tasks: readonly TaskView[]): number {
  return tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').length;
}

/** Tasks that should run but failed or were rejected: the run cannot converge on its own. */
export function failedTasks(tasks: readonly TaskView[]): TaskView[] {
  return tasks.filter(
    (t) =>
      t.DesiredState === 'running' &&
      (t.Status?.State === 'failed' || t.Status?.State === 'rejected'),
  );
}

/** `/tasks?filters=…` for the tasks of one service that should be running. */
export function tasksQuery(serviceId: string): string {
  const filters = { service: [serviceId], 'desired-state': ['running'] };
  return `/tasks?filters=${encodeURIComponent(JSON.stringify(filters))}`;
}

/** One run of one system: create to N running, then scale to M running. */
export interface RunResult {
  system: SystemName;
  run: number;
  createMs: number;
  scaleMs: number;
}

export interface SystemFigures {
  createMs: number[];
  scaleMs: number[];
  createMedianMs: number | null;
  scaleMedianMs: number | null;
}

export interface Figures {
  shoal: SystemFigures;
  swarm: SystemFigures;
  /** Shoal's median over Swarm's: below 1 means Shoal converged faster. */
  ratio: { create: number | null; scale: number | null };
}

function figuresOf(runs: readonly RunResult[], system: SystemName): SystemFigures {
  const mine = runs.filter((r) => r.system === system).sort((a, b) => a.run - b.run);
  const createMs = mine.map((r) => r.createMs);
  const scaleMs = mine.map((r) => r.scaleMs);
  return {
    createMs: createMs.map((v) => round(v, 0)!),
    scaleMs: scaleMs.map((v) => round(v, 0)!),
    createMedianMs: round(median(createMs), 0),
    scaleMedianMs: round(median(scaleMs), 0),
  };
}

function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : round(a / b, 2);
}

export function figures(runs: readonly RunResult[]): Figures {
  const shoal = figuresOf(runs, 'shoal');
  const swarm = figuresOf(runs, 'swarm');
  return {
    shoal,
    swarm,
    ratio: {
      create: ratioOf(shoal.createMedianMs, swarm.createMedianMs),
      scale: ratioOf(shoal.scaleMedianMs, swarm.scaleMedianMs),
    },
  };
}

/** Which system goes first in round `run` (1-based): alternating, so neither always warms up. */
export function orderOfRound(run: number): SystemName[] {
  return run % 2 === 1 ? ['shoal', 'swarm'] : ['swarm', 'shoal'];
}

/** When the engine created and started one container (RFC 3339, as inspect shows them). */
export interface ContainerTimes {
  Created: string;
  StartedAt?: string;
}

/**
 * Where a convergence's time went, from the engine's own timestamps, in ms after the request
 * (`sinceWallMs`, wall clock, the engine's clock being the same host's): the first and the last
 * container created, the last one started. Past that, the time is the agent noticing and the
 * status reaching the API. Containers created before the request are not this phase's.
 */
export interface PhaseBreakdown {
  containers: number;
  firstCreatedMs: number | null;
  lastCreatedMs: number | null;
  lastStartedMs: number | null;
}

export function phaseBreakdown(
  sinceWallMs: number,
  containers: readonly ContainerTimes[],
): PhaseBreakdown {
  const created: number[] = [];
  const started: number[] = [];
  for (const c of containers) {
    const at = Date.parse(c.Created);
    if (!Number.isFinite(at) || at < sinceWallMs) continue;
    created.push(at - sinceWallMs);
    const s = c.StartedAt ? Date.parse(c.StartedAt) : NaN;
    if (Number.isFinite(s) && s > 0) started.push(s - sinceWallMs);
  }
  const r = (v: number) => round(v, 0);
  return {
    containers: created.length,
    firstCreatedMs: created.length ? r(Math.min(...created)) : null,
    lastCreatedMs: created.length ? r(Math.max(...created)) : null,
    lastStartedMs: started.length ? r(Math.max(...started)) : null,
  };
}
