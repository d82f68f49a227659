import { type ClusterState, type PendingTask } from './state/cluster.state';
import { type TaskDemand, taskDemand } from './state/task.demand';

/**
 * One proposal's worth of work. A Raft entry should stay well under 1 MiB (etcd-raft's usual
 * message cap; Shoal's transport takes more, but a large entry delays every heartbeat and
 * append behind it). A task is written whole, ~1–2 KiB of JSON with its spec, so 500 tasks
 * make ~0.5–1 MiB at most; the byte bound keeps tasks with large specs (long env lists,
 * many labels) under the same ceiling, leaving room for the proposal's envelope.
 */
export const MAX_BATCH_TASKS = 500;
export const MAX_BATCH_BYTES = 768 * 1024;

export interface BatchBounds {
  maxTasks: number;
  maxBytes: number;
}

/** The queued tasks of one service version, decided together. */
export class TaskGroup {
  private demandMemo: TaskDemand | undefined;
  private bytesMemo: number | undefined;

  constructor(
    readonly serviceId: string,
    readonly specKey: string,
    /** By slot, then ID. */
    readonly tasks: readonly PendingTask[],
    private readonly hostPorts: readonly string[],
  ) {}

  get demand(): TaskDemand {
    return (this.demandMemo ??= taskDemand(this.tasks[0]!.object, this.hostPorts, this.specKey));
  }

  /**
   * A generous estimate of one task's size as written: the task as read now, plus room for
   * the node ID, the new status and claimed resources. UTF-8 is measured, not UTF-16.
   */
  get bytesPerTask(): number {
    return (this.bytesMemo ??=
      new TextEncoder().encode(JSON.stringify(this.tasks[0]!.object)).length + 512);
  }
}

/** A slice of a group placed in one batch. */
export interface BatchPart {
  group: TaskGroup;
  tasks: readonly PendingTask[];
}

const bySlotThenId = (a: PendingTask, b: PendingTask) =>
  a.slot - b.slot || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The queue as groups: by service ID, then spec, so the order is the same on every run. */
export function pendingGroups(state: ClusterState): TaskGroup[] {
  const byService = new Map<string, Map<string, PendingTask[]>>();
  for (const p of state.pending.values()) {
    let specs = byService.get(p.serviceId);
    if (!specs) byService.set(p.serviceId, (specs = new Map()));
    const list = specs.get(p.specKey);
    if (list) list.push(p);
    else specs.set(p.specKey, [p]);
  }
  const groups: TaskGroup[] = [];
  for (const serviceId of [...byService.keys()].sort()) {
    const specs = byService.get(serviceId)!;
    for (const specKey of [...specs.keys()].sort()) {
      const tasks = specs.get(specKey)!.sort(bySlotThenId);
      groups.push(new TaskGroup(serviceId, specKey, tasks, state.hostPortsOf(serviceId)));
    }
  }
  return groups;
}

/**
 * Cuts the groups into batches within the bounds. Small groups share a batch; a group that
 * does not fit in what is left of one starts the next, so a service is split only when it
 * alone exceeds a batch (its parts are then placed one after the other, each seeing the
 * ones before). A single task larger than the byte bound still goes, alone.
 */
export function* batches(
  groups: readonly TaskGroup[],
  bounds: BatchBounds,
): Generator<BatchPart[]> {
  let batch: BatchPart[] = [];
  let tasks = 0;
  let bytes = 0;
  for (const group of groups) {
    let offset = 0;
    while (offset < group.tasks.length) {
      const remaining = group.tasks.length - offset;
      const room = Math.min(
        bounds.maxTasks - tasks,
        Math.floor((bounds.maxBytes - bytes) / group.bytesPerTask),
      );
      if (room < remaining && batch.length > 0) {
        yield batch;
        batch = [];
        tasks = bytes = 0;
        continue;
      }
      const n = Math.max(1, Math.min(room, remaining));
      batch.push({ group, tasks: group.tasks.slice(offset, offset + n) });
      offset += n;
      tasks += n;
      bytes += n * group.bytesPerTask;
    }
  }
  if (batch.length > 0) yield batch;
}
