import { type Node, type TaskSpec } from '@shoal/api/swarm';
import { nodeFitOf } from '../common/node.eligibility';
import { taskTemplateKey } from '../restart/task-template.key';

type NodeLike = Pick<Node, 'ID' | 'Spec' | 'Description' | 'Status' | 'ManagerStatus'>;

/**
 * "Is this task made from an older spec than the service's?", after swarmkit's IsTaskDirty:
 * - the task's spec is compared with the service's TaskTemplate canonically (key order does
 *   not matter) and without ContainerSpec.PullOptions, which the orchestrator adds from the
 *   registry credentials: new credentials alone redeploy nothing;
 * - TaskTemplate.ForceUpdate is part of the template, so bumping it makes every task dirty;
 * - a change of Placement alone does not make a task dirty while its node still fits the
 *   new placement (the constraint enforcer moves the tasks whose node no longer does).
 *
 * Build it once per reconciliation: the template's keys are computed once.
 */
export function dirtyCheck(
  template: TaskSpec | undefined,
): (task: { Spec?: TaskSpec; NodeID?: string }, node: NodeLike | undefined) => boolean {
  const key = taskTemplateKey(template);
  const withoutPlacement = taskTemplateKey({ ...(template ?? {}), Placement: undefined });
  const fits = nodeFitOf({ TaskTemplate: template });
  return (task, node) => {
    if (taskTemplateKey(task.Spec) === key) return false;
    const placementOnly =
      taskTemplateKey({ ...(task.Spec ?? {}), Placement: undefined }) === withoutPlacement;
    return !(placementOnly && node !== undefined && fits(node));
  };
}
