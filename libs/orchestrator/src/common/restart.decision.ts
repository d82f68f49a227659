import { type RestartPolicy, type ServiceSpec } from '@shoal/api/swarm';
import {
  type RestartCause,
  type RestartDecision,
  shouldRestart,
} from '../restart/restart.supervisor';
import { type HistoryTask } from '../restart/slot.history';
import { madeFromTemplate } from '../restart/task-template.key';

type WithSpec = { Spec: Pick<ServiceSpec, 'TaskTemplate'> };

/**
 * The service's RestartPolicy, with a job's Condition defaulting to 'on-failure' as dockerd
 * does (applyServiceDefaults writes it; a spec stored without it would otherwise get the
 * services' 'any').
 */
export function restartPolicyOf(service: WithSpec, job: boolean): RestartPolicy | undefined {
  const policy = service.Spec.TaskTemplate?.RestartPolicy;
  if (!job || policy?.Condition) return policy;
  return { ...policy, Condition: 'on-failure' };
}

/**
 * The restart supervisor's decision for a slot (replicated jobs) or a node (global modes)
 * whose task `last` no longer runs; `history` is every task of that slot or node the
 * decision may count. Attempts count only tasks made from the current task template, as
 * for replicated services.
 */
export function decideRestart(
  service: WithSpec,
  history: readonly HistoryTask[],
  last: HistoryTask,
  now: number,
  opts: { job: boolean; defaultDelayMs: number; cause?: RestartCause },
): RestartDecision {
  return shouldRestart(restartPolicyOf(service, opts.job), history, last, now, {
    cause: opts.cause,
    defaultDelayMs: opts.defaultDelayMs,
    counts: madeFromTemplate(service.Spec.TaskTemplate),
  });
}
