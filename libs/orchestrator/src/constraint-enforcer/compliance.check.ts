import { type Node } from '@shoal/api/swarm';
import { type Constraint, parseConstraint } from '@shoal/api/validation/constraint.parser';
import { matchesConstraints } from '../common/node.eligibility';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { compareByAge, isDesiredToRun, isTerminalState } from '../restart/slot.history';

export type CheckedNode = Pick<Node, 'ID' | 'Spec' | 'Description' | 'Status' | 'ManagerStatus'>;
export type CheckedTask = Pick<OrchestratedTask, 'ID' | 'Spec' | 'DesiredState' | 'Status'> &
  Partial<Pick<OrchestratedTask, 'CreatedAt' | 'UpdatedAt'>>;

/**
 * The tasks on `node` that must stop because the node no longer suits them, after swarmkit's
 * constraint enforcer. Only tasks the managers still want running (DesiredState at most
 * running) and that have not ended are looked at, and only on an active node that is not
 * down: a drained node's tasks are the orchestrators' to move, a paused node keeps what it
 * runs, and a down node's tasks are replaced by the orchestrators already.
 *
 * A task must stop if its Placement.Constraints no longer match the node, or if its
 * Resources.Reservations (NanoCPUs, MemoryBytes) no longer fit in what the node has, less the
 * reservations of the tasks that stay. Tasks keep their place oldest first, so a shrunken
 * node sheds its newest tasks. A resource the node does not describe is not enforced (an
 * agent that has not described itself yet must not lose its tasks); generic resources are
 * not enforced, as in swarmkit. A constraint that does not parse is ignored here, since
 * stopping a task over a rule nobody can read would be a guess.
 */
export function noncompliantTasks(node: CheckedNode, tasks: readonly CheckedTask[]): string[] {
  if ((node.Spec?.Availability ?? 'active') !== 'active') return [];
  if (node.Status?.State === 'down') return [];
  const out: string[] = [];
  let cpus = node.Description?.Resources?.NanoCPUs;
  let memory = node.Description?.Resources?.MemoryBytes;
  const candidates = tasks
    .filter((t) => isDesiredToRun(t) && !isTerminalState(t.Status?.State))
    .sort(compareByAge);
  for (const t of candidates) {
    if (!matchesConstraints(constraintsOf(t), node)) {
      out.push(t.ID);
      continue;
    }
    const want = t.Spec?.Resources?.Reservations;
    const wantCpus = positive(want?.NanoCPUs);
    const wantMemory = positive(want?.MemoryBytes);
    if ((cpus !== undefined && wantCpus > cpus) || (memory !== undefined && wantMemory > memory)) {
      out.push(t.ID);
      continue;
    }
    if (cpus !== undefined) cpus -= wantCpus;
    if (memory !== undefined) memory -= wantMemory;
  }
  return out;
}

function constraintsOf(task: CheckedTask): Constraint[] {
  const out: Constraint[] = [];
  for (const expr of task.Spec?.Placement?.Constraints ?? []) {
    try {
      out.push(parseConstraint(expr));
    } catch {
      // See noncompliantTasks: an unreadable rule stops nothing.
    }
  }
  return out;
}

function positive(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : 0;
}
