import { InvalidArgumentError, NotFoundError } from '@shoal/api';
import { type ReadTx, type StoredObject } from '@shoal/store';
import { type StoredNode, type StoredService, type StoredTask } from './stored.types';

/**
 * Docker's object reference resolution (moby daemon/cluster/helpers.go getService/getNode/
 * getTask), which every `/{kind}/{id}` endpoint and the task list's service/node filters use:
 *
 *  1. an exact ID;
 *  2. else an exact name (case-insensitive, like swarmkit's name index);
 *  3. else a unique ID prefix.
 *
 * Several matches in step 2 or 3 → 400 "<kind> <ref> is ambiguous (<n> matches found)".
 * None → 404 "<kind> <ref> not found". Both texts are Docker's; the CLI and scripts match them.
 */

export type RefKind = 'service' | 'node' | 'task';

export function notFound(kind: RefKind, ref: string): NotFoundError {
  return new NotFoundError(`${kind} ${ref} not found`);
}

function pick<T>(kind: RefKind, ref: string, matches: T[]): T | undefined {
  if (matches.length > 1) {
    throw new InvalidArgumentError(`${kind} ${ref} is ambiguous (${matches.length} matches found)`);
  }
  return matches[0];
}

/** The three steps over `kind`'s table; only the name lookup differs between kinds. */
function resolve<T extends StoredObject>(
  tx: ReadTx,
  kind: RefKind,
  ref: string,
  byName: (name: string) => T[],
): T {
  // An empty reference names nothing (Docker would match every ID by prefix).
  if (ref === '') throw notFound(kind, ref);
  const exact = tx.get<T>(kind, ref);
  if (exact) return exact;
  const named = pick(kind, ref, byName(ref));
  if (named) return named;
  const prefixed = pick(
    kind,
    ref,
    tx.list<T>(kind).filter((o) => o.ID.startsWith(ref)),
  );
  if (prefixed) return prefixed;
  throw notFound(kind, ref);
}

export function resolveService(tx: ReadTx, ref: string): StoredService {
  return resolve<StoredService>(tx, 'service', ref, (name) => {
    // Service names are unique (case-insensitively), so the index gives at most one.
    const found = tx.getByName<StoredService>('service', name);
    return found ? [found] : [];
  });
}

/**
 * A node's name is its hostname (swarmkit indexes nodes by Description.Hostname), or the
 * name its operator gave it in Spec.Name. Hostnames need not be unique.
 */
export function nodeNames(node: StoredNode): string[] {
  const names: string[] = [];
  if (node.Description?.Hostname) names.push(node.Description.Hostname);
  if (node.Spec.Name && node.Spec.Name !== node.Description?.Hostname) names.push(node.Spec.Name);
  return names;
}

export function resolveNode(tx: ReadTx, ref: string): StoredNode {
  const key = ref.toLowerCase();
  return resolve<StoredNode>(tx, 'node', ref, () =>
    tx.find<StoredNode>('node', (n) => nodeNames(n).some((x) => x.toLowerCase() === key)),
  );
}

/**
 * A task's name: its own Name when the orchestrator set one, else swarmkit's fallback
 * `<service name>.<slot, or node ID for global tasks>.<task ID>`.
 */
export function taskName(tx: ReadTx, task: StoredTask): string {
  if (task.Name) return task.Name;
  const service = task.ServiceID ? tx.get<StoredService>('service', task.ServiceID) : undefined;
  const slot = task.Slot ? String(task.Slot) : (task.NodeID ?? '');
  return `${service?.Spec.Name ?? ''}.${slot}.${task.ID}`;
}

export function resolveTask(tx: ReadTx, ref: string): StoredTask {
  const key = ref.toLowerCase();
  return resolve<StoredTask>(tx, 'task', ref, () =>
    tx.find<StoredTask>('task', (t) => taskName(tx, t).toLowerCase() === key),
  );
}
