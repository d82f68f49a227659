import { type Node, type Platform, type ServiceSpec } from '@shoal/api/swarm';
import { type Constraint, parseConstraint } from '@shoal/api/validation/constraint.parser';

type NodeLike = Pick<Node, 'ID' | 'Spec' | 'Description' | 'Status' | 'ManagerStatus'>;

/**
 * Whether a node may hold a service's tasks at all: its placement constraints and platforms.
 * Unlike acceptsNewTasks, this does not change while the node is paused, down or drained,
 * so it is what decides whether tasks already there must stop.
 */
export type NodeFit = (node: NodeLike) => boolean;

/**
 * Compiles a service's Placement once per reconciliation. A constraint that does not parse
 * (the API refuses those, so only a hand-written object has one) matches no node: placing
 * a task against a rule nobody can read would be a guess.
 */
export function nodeFitOf(spec: Pick<ServiceSpec, 'TaskTemplate'>): NodeFit {
  const placement = spec.TaskTemplate?.Placement;
  let constraints: Constraint[];
  try {
    constraints = (placement?.Constraints ?? []).map((c) => parseConstraint(c));
  } catch {
    return () => false;
  }
  const platforms = placement?.Platforms ?? [];
  return (node) => matchesConstraints(constraints, node) && matchesPlatforms(platforms, node);
}

/**
 * Swarm's matching: values compare case-insensitively; a missing attribute or label fails
 * `==` and passes `!=`.
 */
export function matchesConstraints(constraints: readonly Constraint[], node: NodeLike): boolean {
  return constraints.every((c) => {
    const actual = attribute(node, c.key);
    const equal = actual !== undefined && actual.toLowerCase() === c.value.toLowerCase();
    return c.op === '==' ? equal : !equal;
  });
}

const NODE_LABELS = 'node.labels.';
const ENGINE_LABELS = 'engine.labels.';

function attribute(node: NodeLike, key: string): string | undefined {
  switch (key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description?.Hostname;
    case 'node.role':
      // The role the operator asked for; a node written without one is told apart by
      // whether it has a manager status.
      return node.Spec?.Role ?? (node.ManagerStatus ? 'manager' : 'worker');
    case 'node.platform.os':
      return node.Description?.Platform?.OS;
    case 'node.platform.arch':
      return node.Description?.Platform?.Architecture;
  }
  if (key.startsWith(NODE_LABELS)) return node.Spec?.Labels?.[key.slice(NODE_LABELS.length)];
  if (key.startsWith(ENGINE_LABELS)) {
    return node.Description?.Engine?.Labels?.[key.slice(ENGINE_LABELS.length)];
  }
  return undefined;
}

/**
 * Placement.Platforms: the node must match one of them, where an empty field matches
 * anything. A node that has not described its platform yet is let through, since refusing
 * it would keep global tasks off every node that registered before reporting.
 */
export function matchesPlatforms(platforms: readonly Platform[], node: NodeLike): boolean {
  if (platforms.length === 0) return true;
  const own = node.Description?.Platform;
  if (!own?.OS && !own?.Architecture) return true;
  return platforms.some(
    (p) =>
      (!p.OS || !own.OS || p.OS.toLowerCase() === own.OS.toLowerCase()) &&
      (!p.Architecture || !own.Architecture || arch(p.Architecture) === arch(own.Architecture)),
  );
}

// Engines and `uname -m` spell the same architecture differently (the docker CLI sends
// Go's names, agents may report the kernel's).
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armv8: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  armv7l: 'arm',
  armv6l: 'arm',
  i386: '386',
  i686: '386',
};

function arch(name: string): string {
  const lower = name.toLowerCase();
  return ARCH_ALIASES[lower] ?? lower;
}

/**
 * Whether new tasks may start on the node now: its agent is connected (ready) and the
 * operator has it active. Paused nodes keep what they run; drained ones run nothing.
 */
export function acceptsNewTasks(node: Pick<Node, 'Spec' | 'Status'>): boolean {
  return node.Status?.State === 'ready' && (node.Spec?.Availability ?? 'active') === 'active';
}

export function isDrained(node: Pick<Node, 'Spec'>): boolean {
  return node.Spec?.Availability === 'drain';
}

/** Whether a node counts as lost: down, or gone from the store (force-removed). */
export function isLostNode(node: Pick<Node, 'Status'> | undefined): boolean {
  return !node || node.Status?.State === 'down';
}
