import {
  type NodeAvailability,
  type NodeState,
  type ServiceMode,
  type TaskSpec,
  type TaskState,
} from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../../replicated/replicated.types';
import { type ServiceActions } from '../orchestrator.types';

/** 2026-11-22T08:00:00.123Z, as the store fixtures. */
export const T0 = 1_795_334_400_123;
/** Nanoseconds per millisecond, for RestartPolicy.Delay. */
export const NS_PER_MS = 1_000_000;

export function service(
  mode: ServiceMode,
  template: TaskSpec = {},
  extra: Partial<OrchestratedService> = {},
): OrchestratedService {
  return {
    ID: 'svc',
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: {
      Name: 'svc',
      Mode: mode,
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, ...template },
    },
    ...extra,
  };
}

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  os?: string;
  arch?: string;
  hostname?: string;
  createdAt?: number;
}

export function node(id: string, o: NodeOptions = {}): OrchestratedNode {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(o.createdAt ?? T0),
    UpdatedAt: rfc3339Nano(o.createdAt ?? T0),
    Spec: { Role: 'worker', Availability: o.availability ?? 'active', Labels: o.labels ?? {} },
    Description: {
      Hostname: o.hostname ?? `host-${id}`,
      Platform: { OS: o.os ?? 'linux', Architecture: o.arch ?? 'x86_64' },
    },
    Status: { State: o.state ?? 'ready' },
  };
}

export interface TaskOptions {
  node?: string;
  slot?: number;
  state?: TaskState;
  desired?: TaskState;
  at?: number;
  exit?: number;
  iteration?: number;
}

let seq = 0;

export function task(o: TaskOptions = {}): OrchestratedTask {
  seq++;
  const t: OrchestratedTask = {
    ID: `t${seq}`,
    Version: { Index: seq },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(o.at ?? T0),
    ServiceID: 'svc',
    DesiredState: o.desired ?? 'running',
    Status: {
      State: o.state ?? 'running',
      Timestamp: rfc3339Nano(o.at ?? T0),
      ContainerStatus: o.exit === undefined ? undefined : { ExitCode: o.exit },
    },
  };
  if (o.node !== undefined) t.NodeID = o.node;
  if (o.slot !== undefined) t.Slot = o.slot;
  if (o.iteration !== undefined) t.JobIteration = { Index: o.iteration };
  return t;
}

/** The tasks as if made from the service's current template (what MaxAttempts counts). */
export function madeFrom(svc: OrchestratedService, tasks: readonly OrchestratedTask[]) {
  return tasks.map((t) => ({ ...t, Spec: structuredClone(svc.Spec.TaskTemplate) }));
}

/**
 * The tasks as they are once `actions` are written: shut-down tasks desired 'shutdown', new
 * ones pending, on their node if they have one.
 */
export function applyActions(
  tasks: readonly OrchestratedTask[],
  actions: ServiceActions,
  now: number,
): OrchestratedTask[] {
  const down = new Set(actions.shutdown);
  const out = tasks.map((t) => (down.has(t.ID) ? { ...t, DesiredState: 'shutdown' as const } : t));
  for (const plan of actions.create) {
    const t = task({
      node: plan.nodeId,
      slot: plan.slot,
      iteration: plan.jobIteration,
      state: 'pending',
      desired: plan.jobIteration === undefined ? 'running' : 'complete',
      at: now,
    });
    out.push(t);
  }
  return out;
}
