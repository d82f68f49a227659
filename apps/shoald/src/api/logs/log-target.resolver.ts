import { InvalidArgumentError, TASK_STATE_ORDER } from '@shoal/api';
import { type ReadTx } from '@shoal/store';
import { resolveService, resolveTask } from '../../control/resolve';
import { type StoredNode, type StoredTask } from '../../control/stored.types';
import { type LogQuery } from './log-query.parser';

export type LogTargetKind = 'service' | 'task';

export interface LogTask {
  taskId: string;
  nodeId: string;
  /** For the `com.docker.swarm.service.id` detail. */
  serviceId: string;
}

/** What a logs request reads, decided from the store before anything is streamed. */
export interface LogTarget {
  tasks: LogTask[];
  /** Tasks no node has been given yet, so no node can be asked for their output. */
  unscheduled: string[];
  /** Whether a TTY merges the output into one stream: dockerd then sends no frame headers. */
  tty: boolean;
  /** Per node of `tasks`, the executor it reported (engine label `shoal.executor`). */
  executors: Map<string, string | undefined>;
}

/** The label an agent puts on its node's description, naming the executor that runs tasks. */
export const EXECUTOR_LABEL = 'shoal.executor';

/**
 * The tasks of GET /services/{id}/logs or /tasks/{id}/logs, chosen as swarmkit's log broker
 * chooses them: every task of the service, current and past (a stopped task's output stays
 * readable on its node until the task is removed), on the node it was given. Without
 * `follow`, a task that never reached `running` is left out, as it has no output to give;
 * with it, a task not yet on a node is reported as not scheduled.
 * The reference resolves like any other (ID, name, unique ID prefix): 404 or 400 otherwise.
 */
export function resolveLogTarget(
  tx: ReadTx,
  kind: LogTargetKind,
  ref: string,
  follow: boolean,
): LogTarget {
  let candidates: StoredTask[];
  let tty: boolean;
  if (kind === 'service') {
    const service = resolveService(tx, ref);
    candidates = tx.tasksByService<StoredTask>(service.ID);
    tty = service.Spec.TaskTemplate?.ContainerSpec?.TTY === true;
  } else {
    const task = resolveTask(tx, ref);
    candidates = [task];
    tty = task.Spec?.ContainerSpec?.TTY === true;
  }
  const tasks: LogTask[] = [];
  const unscheduled: string[] = [];
  for (const t of [...candidates].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))) {
    const started = TASK_STATE_ORDER[t.Status?.State ?? 'new'] >= TASK_STATE_ORDER.running;
    if (!follow && !started) continue;
    if (!t.NodeID) {
      unscheduled.push(t.ID);
      continue;
    }
    tasks.push({ taskId: t.ID, nodeId: t.NodeID, serviceId: t.ServiceID ?? '' });
  }
  const executors = new Map<string, string | undefined>();
  for (const { nodeId } of tasks) {
    if (executors.has(nodeId)) continue;
    const node = tx.get<StoredNode>('node', nodeId);
    executors.set(nodeId, node?.Description?.Engine?.Labels?.[EXECUTOR_LABEL]);
  }
  return { tasks, unscheduled, tty, executors };
}

/** The executor that keeps raw output files only, with no time for each line. */
const PROCESS_EXECUTOR = 'process';

/**
 * Refuses `timestamps` and `since` with a 400 when every node involved runs the process
 * executor, which cannot honour them: the answer would be nothing but errors. With a mix of
 * executors the stream goes ahead, and each process-executor node's refusal arrives as an
 * error at the end of it (see LogStreamWriter), as dockerd reports a log driver that cannot
 * be read.
 */
export function refuseUnsupportedOptions(query: LogQuery, target: LogTarget): void {
  const executors = [...target.executors.values()];
  if (executors.length === 0 || !executors.every((e) => e === PROCESS_EXECUTOR)) return;
  const refused: string[] = [];
  if (query.timestamps) refused.push('timestamps');
  if (query.sinceNano !== undefined) refused.push('since');
  if (refused.length === 0) return;
  throw new InvalidArgumentError(
    `invalid query parameter ${refused.join(' and ')}: the nodes running these tasks use the ` +
      `process executor, which keeps each task's raw output without a time for each line, so ` +
      `it cannot honour ${refused.join(' or ')}; it accepts follow, tail, stdout, stderr and ` +
      `details`,
  );
}
