import fc from 'fast-check';
import { type GenericResources, type Platform } from '@shoal/api/swarm/common.types';
import { type PlacementPreference } from '@shoal/api/swarm/task-spec.types';
import { type SchedulerNode, type SchedulerService, type SchedulerTask } from '../scheduler.types';
import { holdsNode } from '../task.predicates';
import { node, service, task } from './cluster.fixtures';

/**
 * Random clusters and services for property tests, and an independent statement of what a
 * placement must satisfy (written apart from the filters, so they check each other).
 */

const GiB = 1024 ** 3;

export interface ServiceShape {
  id: string;
  replicas: number;
  cpus: number;
  memory: number;
  gpus: number;
  constraints: string[];
  platforms: Platform[];
  maxReplicas: number;
  hostPort: number;
  spread: string[];
}

export interface Scenario {
  nodes: SchedulerNode[];
  services: ServiceShape[];
}

const CONSTRAINTS = [
  'node.labels.zone==z1',
  'node.labels.zone!=Z2',
  'engine.labels.disk==SSD',
  'node.role==worker',
  'node.hostname!=N00',
  'node.platform.os==linux',
  'node.platform.arch==x86_64',
];

const SPREADS = [
  [],
  [],
  ['node.labels.zone'],
  ['node.labels.zone', 'node.labels.rack'],
  ['engine.labels.disk'],
];

const arbNode = (i: number, equal: boolean) =>
  fc
    .record({
      state: fc.constantFrom('ready', 'ready', 'ready', 'down' as const),
      availability: fc.constantFrom('active', 'active', 'active', 'drain', 'pause' as const),
      zone: fc.constantFrom('z1', 'z2', 'z3', undefined),
      rack: fc.constantFrom('r1', 'r2', undefined),
      disk: fc.constantFrom('ssd', 'hdd', undefined),
      role: fc.constantFrom('worker', 'worker', 'manager' as const),
      arch: fc.constantFrom('x86_64', 'amd64', 'aarch64', 'arm64'),
      os: fc.constantFrom('linux', 'linux', 'windows'),
      cpus: fc.constantFrom(0, 1e9, 2e9, 4e9),
      memory: fc.constantFrom(0, GiB, 4 * GiB),
      gpus: fc.nat({ max: 3 }),
    })
    .map((o) => {
      const id = `n${String(i).padStart(2, '0')}`;
      const labels: Record<string, string> = {};
      if (o.zone) labels.zone = o.zone;
      if (o.rack) labels.rack = o.rack;
      const generic: GenericResources = Array.from({ length: equal ? 2 : o.gpus }, (_, g) => ({
        NamedResourceSpec: { Kind: 'gpu', Value: `${id}-gpu${g}` },
      }));
      return node(id, {
        state: o.state,
        availability: o.availability,
        labels,
        engineLabels: o.disk ? { disk: o.disk } : {},
        role: o.role,
        platform: { OS: equal ? 'linux' : o.os, Architecture: equal ? 'x86_64' : o.arch },
        cpus: equal ? 4e9 : o.cpus,
        memory: equal ? 4 * GiB : o.memory,
        generic,
      });
    });

const arbService = (i: number) =>
  fc
    .record({
      replicas: fc.nat({ max: 20 }),
      limited: fc.boolean(),
      cpus: fc.constantFrom(0, 5e8, 1e9),
      memory: fc.constantFrom(0, GiB / 2, GiB),
      gpus: fc.nat({ max: 2 }),
      constraints: fc.subarray(CONSTRAINTS, { maxLength: 2 }),
      platforms: fc.constantFrom<Platform[]>(
        [],
        [],
        [{ OS: 'linux', Architecture: 'amd64' }],
        [{ Architecture: 'arm64' }, { OS: 'linux', Architecture: 'x86_64' }],
      ),
      maxReplicas: fc.nat({ max: 3 }),
      hostPort: fc.constantFrom(0, 80, 8080),
      spread: fc.constantFrom(...SPREADS),
    })
    .map((o): ServiceShape => ({
      id: `s${i}`,
      replicas: o.replicas,
      // About half the services ask for nothing that runs out, so spreading shows plainly.
      cpus: o.limited ? o.cpus : 0,
      memory: o.limited ? o.memory : 0,
      gpus: o.limited ? o.gpus : 0,
      constraints: o.constraints,
      platforms: o.platforms,
      maxReplicas: o.limited ? o.maxReplicas : 0,
      hostPort: o.limited ? o.hostPort : 0,
      spread: o.spread,
    }));

/** `equal`: every node offers the same resources and platform (labels and states still vary). */
export function arbScenario(
  opts: { maxNodes?: number; maxServices?: number; equal?: boolean } = {},
) {
  const { maxNodes = 12, maxServices = 4, equal = false } = opts;
  return fc
    .tuple(fc.nat({ max: maxNodes }), fc.integer({ min: 1, max: maxServices }))
    .chain(([n, s]) =>
      fc.record({
        nodes: fc.tuple(...Array.from({ length: n }, (_, i) => arbNode(i, equal))),
        services: fc.tuple(...Array.from({ length: s }, (_, i) => arbService(i))),
      }),
    )
    .map((o): Scenario => ({ nodes: [...o.nodes], services: [...o.services] }));
}

export function serviceObject(s: ServiceShape): SchedulerService {
  return service(
    s.id,
    s.hostPort ? [{ PublishMode: 'host', PublishedPort: s.hostPort, TargetPort: 80 }] : [],
  );
}

export function serviceTasks(s: ServiceShape, firstSlot = 1, count = s.replicas): SchedulerTask[] {
  const preferences: PlacementPreference[] = s.spread.map((d) => ({
    Spread: { SpreadDescriptor: d },
  }));
  return Array.from({ length: count }, (_, i) =>
    task(`${s.id}.${firstSlot + i}`, s.id, firstSlot + i, {
      cpus: s.cpus,
      memory: s.memory,
      ...(s.gpus ? { generic: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: s.gpus } }] } : {}),
      placement: {
        Constraints: s.constraints,
        Platforms: s.platforms,
        MaxReplicas: s.maxReplicas,
        Preferences: preferences,
      },
    }),
  );
}

function attribute(n: SchedulerNode, key: string): string {
  const k = key.toLowerCase();
  if (k === 'node.hostname') return n.Description?.Hostname ?? '';
  if (k === 'node.role') return n.Spec.Role ?? 'worker';
  if (k === 'node.platform.os') return n.Description?.Platform?.OS ?? '';
  if (k === 'node.platform.arch') return n.Description?.Platform?.Architecture ?? '';
  if (k.startsWith('node.labels.')) return n.Spec.Labels?.[key.slice(12)] ?? '';
  if (k.startsWith('engine.labels.')) return n.Description?.Engine?.Labels?.[key.slice(14)] ?? '';
  return n.ID;
}

/** Constraints and platforms: what never changes as tasks are placed. */
export function staticallyFits(s: ServiceShape, n: SchedulerNode): boolean {
  if (n.Status?.State !== 'ready' || n.Spec.Availability !== 'active') return false;
  for (const c of s.constraints) {
    const [key, value] = c.includes('==') ? c.split('==') : c.split('!=');
    const equal = attribute(n, key!).toLowerCase() === value!.toLowerCase();
    if (equal !== c.includes('==')) return false;
  }
  if (s.platforms.length > 0) {
    const alias = (a?: string) => (a === 'x86_64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a);
    const p = n.Description?.Platform;
    const ok = s.platforms.some(
      (q) =>
        (!q.OS || q.OS === p?.OS) &&
        (!q.Architecture || alias(q.Architecture) === alias(p?.Architecture)),
    );
    if (!ok) return false;
  }
  return true;
}

const limits = (s: ServiceShape) =>
  s.cpus > 0 || s.memory > 0 || s.gpus > 0 || s.maxReplicas > 0 || s.hostPort > 0;

/** Every rule a placement must keep; returns the broken ones, in words. */
export function violations(
  nodes: readonly SchedulerNode[],
  tasks: readonly SchedulerTask[],
  services: readonly ServiceShape[],
): string[] {
  const out: string[] = [];
  const byId = new Map(services.map((s) => [s.id, s]));
  for (const n of nodes) {
    const here = tasks.filter((t) => t.NodeID === n.ID && holdsNode(t));
    const shape = (t: SchedulerTask) => byId.get(t.ServiceID!)!;
    const cpu = here.reduce((a, t) => a + shape(t).cpus, 0);
    const mem = here.reduce((a, t) => a + shape(t).memory, 0);
    if (cpu > (n.Description?.Resources?.NanoCPUs ?? 0)) out.push(`${n.ID}: cpu overcommitted`);
    if (mem > (n.Description?.Resources?.MemoryBytes ?? 0))
      out.push(`${n.ID}: memory overcommitted`);
    const offered = new Set(
      (n.Description?.Resources?.GenericResources ?? []).map((g) => g.NamedResourceSpec?.Value),
    );
    const units = here.flatMap((t) =>
      (t.AssignedGenericResources ?? []).map((g) => g.NamedResourceSpec?.Value),
    );
    if (new Set(units).size !== units.length) out.push(`${n.ID}: a gpu claimed twice`);
    if (units.some((u) => !offered.has(u))) out.push(`${n.ID}: a gpu it does not have`);
    const ports = here.map((t) => shape(t).hostPort).filter((p) => p > 0);
    if (new Set(ports).size !== ports.length) out.push(`${n.ID}: a host port published twice`);
    for (const t of here) {
      const s = shape(t);
      if ((t.AssignedGenericResources?.length ?? 0) !== s.gpus)
        out.push(`${t.ID}: wrong gpu count`);
      if (t.Status?.State === 'assigned' && !staticallyFits(s, n))
        out.push(`${t.ID}: placed on ${n.ID}, which does not fit`);
      const replicas = here.filter((u) => u.ServiceID === s.id).length;
      if (s.maxReplicas > 0 && replicas > s.maxReplicas)
        out.push(`${n.ID}: over max replicas of ${s.id}`);
    }
  }
  for (const s of services) {
    const mine = tasks.filter((t) => t.ServiceID === s.id);
    const fitting = nodes.filter((n) => staticallyFits(s, n));
    for (const t of mine)
      if (!t.NodeID && !/^no suitable node/.test(t.Status?.Err ?? ''))
        out.push(`${t.ID}: pending without a reason`);
    if (limits(s)) continue;
    if (fitting.length > 0 && mine.some((t) => !t.NodeID)) out.push(`${s.id}: left a task pending`);
    const count = (group: readonly SchedulerNode[]) =>
      mine.filter((t) => group.some((n) => n.ID === t.NodeID)).length;
    // Within each branch of the preference tree (the whole cluster with none), the children
    // that have fitting nodes differ by at most one; the leaves are single nodes.
    const levels = [...s.spread, 'node.id'];
    const walk = (group: readonly SchedulerNode[], depth: number, path: string) => {
      if (depth === levels.length) return;
      const children = new Map<string, SchedulerNode[]>();
      for (const n of group) {
        const v = attribute(n, levels[depth]!);
        children.set(v, [...(children.get(v) ?? []), n]);
      }
      const counts = [...children.values()].map(count);
      if (Math.max(...counts) - Math.min(...counts) > 1)
        out.push(`${s.id}: uneven under ${path || 'the root'} by ${levels[depth]}: ${counts}`);
      for (const [v, g] of children) walk(g, depth + 1, `${path}/${v}`);
    };
    if (fitting.length > 0) walk(fitting, 0, '');
  }
  return out;
}
