import { type Task } from '@shoal/api/swarm';
import { isWanted } from '../common/task.selection';

type TaskLike = Pick<Task, 'JobIteration' | 'DesiredState'>;

/**
 * A job's tasks split by run: `current` holds every task of the service's JobIteration
 * (its history included, as attempts count), `stale` the still-wanted tasks of any other
 * run, which an update has superseded. A task without JobIteration belongs to no run.
 */
export function splitByIteration<T extends TaskLike>(
  tasks: readonly T[],
  iteration: number,
): { current: T[]; stale: T[] } {
  const current: T[] = [];
  const stale: T[] = [];
  for (const t of tasks) {
    if (t.JobIteration?.Index === iteration) current.push(t);
    else if (isWanted(t)) stale.push(t);
  }
  return { current, stale };
}
