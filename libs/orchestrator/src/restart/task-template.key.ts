import { type TaskSpec } from '@shoal/api/swarm';

/**
 * A canonical form of a task template, for "was this task made from the current template?".
 * Key order is ignored (a spec read back from JSON need not keep it), and so is
 * ContainerSpec.PullOptions, which the orchestrator adds to tasks from the service's registry
 * credentials: new credentials are not a new template.
 */
export function taskTemplateKey(spec: TaskSpec | undefined): string {
  if (!spec || !Object.isFrozen(spec)) return computeKey(spec);
  // Stored specs are frozen and never change, and tasks share their service's (or each
  // other's) spec objects, so a reconciliation that asks for every task's key mostly asks
  // for keys it has computed before.
  let key = keyOfFrozen.get(spec);
  if (key === undefined) keyOfFrozen.set(spec, (key = computeKey(spec)));
  return key;
}

const keyOfFrozen = new WeakMap<TaskSpec, string>();

function computeKey(spec: TaskSpec | undefined): string {
  const container = spec?.ContainerSpec as { PullOptions?: unknown } | undefined;
  if (container?.PullOptions !== undefined) {
    const { PullOptions: _drop, ...rest } = container;
    return canonicalJson({ ...spec, ContainerSpec: rest });
  }
  return canonicalJson(spec ?? {});
}

/**
 * A predicate for the restart supervisor's `counts` option: true for tasks made from
 * `template`. The template's key is computed once; a task's only when asked.
 */
export function madeFromTemplate(
  template: TaskSpec | undefined,
): (task: { Spec?: TaskSpec }) => boolean {
  let key: string | undefined;
  return (task) => taskTemplateKey(task.Spec) === (key ??= taskTemplateKey(template));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
