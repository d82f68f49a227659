import { type TaskSpec, type TaskState } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { type HistoryTask } from '../restart/slot.history';

/** 2026-11-22T08:00:00.123Z. */
export const T0 = 1_795_334_400_123;
/** Nanoseconds per millisecond, for RestartPolicy durations. */
export const MS = 1_000_000;

export interface TaskOpts {
  state?: TaskState;
  desired?: TaskState;
  /** Status.Timestamp; default T0. */
  at?: number;
  /** CreatedAt; default `at`. */
  created?: number;
  exit?: number;
  spec?: TaskSpec;
  id?: string;
}

let seq = 0;

/** A task as the restart supervisor and the reaper read it, for specs. */
export function historyTask(opts: TaskOpts = {}): HistoryTask {
  seq++;
  const at = opts.at ?? T0;
  return {
    ID: opts.id ?? `task-${String(seq).padStart(6, '0')}`,
    DesiredState: opts.desired ?? 'shutdown',
    Status: {
      State: opts.state ?? 'failed',
      Timestamp: rfc3339Nano(at),
      ContainerStatus: opts.exit === undefined ? undefined : { ExitCode: opts.exit },
    },
    Spec: opts.spec ?? { ContainerSpec: { Image: 'busybox' } },
    CreatedAt: rfc3339Nano(opts.created ?? at),
    UpdatedAt: rfc3339Nano(at),
    Version: { Index: seq },
  };
}
