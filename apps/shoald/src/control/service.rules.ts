import {
  type EndpointPortConfig,
  InvalidArgumentError,
  type ServiceSpec,
  type ServiceStatus,
} from '@shoal/api';
import { type ReadTx } from '@shoal/store';
import { type StoredService, type StoredTask } from './stored.types';

/**
 * The checks of a service spec that need the store (swarmkit controlapi/service.go), and
 * small facts about a spec shared by the service endpoints. Shape and range checks live in
 * the validator (@shoal/api); these are the cross-object ones.
 */

export type ServiceModeKind = 'replicated' | 'global' | 'replicated-job' | 'global-job';

/** The mode a spec is in; no Mode at all means replicated, as in Docker. */
export function modeKind(spec: ServiceSpec): ServiceModeKind {
  const mode = spec.Mode ?? {};
  if (mode.Global) return 'global';
  if (mode.ReplicatedJob) return 'replicated-job';
  if (mode.GlobalJob) return 'global-job';
  return 'replicated';
}

export function isJob(spec: ServiceSpec): boolean {
  const kind = modeKind(spec);
  return kind === 'replicated-job' || kind === 'global-job';
}

interface PortKey {
  protocol: string;
  published: number;
}

function key(p: EndpointPortConfig): PortKey {
  return { protocol: p.Protocol ?? 'tcp', published: p.PublishedPort ?? 0 };
}

function sameKey(a: PortKey, b: PortKey): boolean {
  return a.protocol === b.protocol && a.published === b.published;
}

/**
 * A published port may serve one service through the ingress mesh; swarmkit refuses a second
 * service on it (400, Docker's text). Host-mode ports may repeat across services (the
 * scheduler keeps them on different nodes) but not collide with an ingress port.
 * `selfId` is skipped: a service never conflicts with its own previous spec.
 */
export function checkPortConflicts(tx: ReadTx, spec: ServiceSpec, selfId?: string): void {
  const ingress: PortKey[] = [];
  const host: PortKey[] = [];
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    if (!p.PublishedPort) continue;
    (p.PublishMode === 'host' ? host : ingress).push(key(p));
  }
  if (ingress.length === 0 && host.length === 0) return;

  for (const other of tx.list<StoredService>('service')) {
    if (other.ID === selfId) continue;
    const ports = [...(other.Spec.EndpointSpec?.Ports ?? []), ...(other.Endpoint?.Ports ?? [])];
    for (const p of ports) {
      if (!p.PublishedPort) continue;
      const k = key(p);
      const name = other.Spec.Name ?? '';
      if (p.PublishMode === 'host') {
        if (ingress.some((x) => sameKey(x, k))) {
          throw new InvalidArgumentError(
            `port '${k.published}' is already in use by service '${name}' (${other.ID}) as a host-published port`,
          );
        }
      } else if (ingress.some((x) => sameKey(x, k)) || host.some((x) => sameKey(x, k))) {
        throw new InvalidArgumentError(
          `port '${k.published}' is already in use by service '${name}' (${other.ID}) as an ingress port`,
        );
      }
    }
  }
}

/**
 * Every secret and config a container references must exist under that ID with that name
 * (400 "secret not found: a" / "secrets not found: a, b", swarmkit's text).
 */
export function checkReferences(tx: ReadTx, spec: ServiceSpec): void {
  const container = spec.TaskTemplate?.ContainerSpec;
  if (!container) return;
  checkNamedReferences(
    tx,
    'secret',
    (container.Secrets ?? []).map((r) => ({ id: r.SecretID, name: r.SecretName })),
  );
  checkNamedReferences(
    tx,
    'config',
    (container.Configs ?? []).map((r) => ({ id: r.ConfigID, name: r.ConfigName })),
  );
}

/** Secrets and configs are checked alike; only their reference fields are named apart. */
function checkNamedReferences(
  tx: ReadTx,
  kind: 'secret' | 'config',
  refs: { id: string | undefined; name: string | undefined }[],
): void {
  const missing = refs
    .filter((r) => tx.get(kind, r.id ?? '')?.Spec?.Name !== r.name)
    .map((r) => r.name ?? '');
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `${missing.length === 1 ? kind : `${kind}s`} not found: ${missing.join(', ')}`,
    );
  }
}

/**
 * ServiceStatus for `GET /services?status=true`, computed from the tasks as swarmkit's
 * ListServiceStatuses does: running = tasks whose observed state is running; desired = the
 * replica count (MaxConcurrent for replicated jobs), or for global modes the tasks meant to
 * run (or, for jobs, meant to complete and not yet complete). Job tasks of earlier
 * iterations do not count.
 */
export function serviceStatus(tx: ReadTx, service: StoredService): ServiceStatus {
  const status = { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 0 };
  const kind = modeKind(service.Spec);
  const global = kind === 'global' || kind === 'global-job';
  if (kind === 'replicated') status.DesiredTasks = service.Spec.Mode?.Replicated?.Replicas ?? 1;
  if (kind === 'replicated-job') {
    status.DesiredTasks = service.Spec.Mode?.ReplicatedJob?.MaxConcurrent ?? 1;
  }
  const iteration = service.JobStatus?.JobIteration?.Index;
  for (const task of tx.tasksByService<StoredTask>(service.ID)) {
    const state = task.Status?.State;
    if (service.JobStatus) {
      if (task.JobIteration?.Index !== iteration) continue;
      if (state === 'complete') status.CompletedTasks++;
    }
    if (state === 'running') status.RunningTasks++;
    if (global && task.DesiredState === 'running') status.DesiredTasks++;
    if (global && state !== 'complete' && task.DesiredState === 'complete') status.DesiredTasks++;
  }
  return status;
}

// Names for services created without one. Docker picks "adjective_surname"; Shoal keeps to
// its own theme. The list sizes only need to make collisions rare; a taken name is retried.
const ADJECTIVES = [
  'agile', 'bold', 'brisk', 'calm', 'clever', 'curious', 'daring', 'deep', 'eager', 'gentle',
  'glassy', 'jolly', 'keen', 'lively', 'lucid', 'merry', 'nimble', 'patient', 'quiet', 'silver',
  'steady', 'sunny', 'swift', 'tidal', 'vivid', 'wavy', 'wise', 'witty', 'zesty', 'brave',
]; // prettier-ignore
const FISH = [
  'anchovy', 'barracuda', 'bream', 'carp', 'cod', 'dory', 'eel', 'flounder', 'grouper',
  'haddock', 'hake', 'herring', 'mackerel', 'marlin', 'minnow', 'mullet', 'perch', 'pike',
  'plaice', 'pollock', 'salmon', 'sardine', 'shad', 'smelt', 'snapper', 'sole', 'sprat',
  'trout', 'tuna', 'turbot',
]; // prettier-ignore

/**
 * A fresh service name from random characters (the manager's ID generator, so tests with
 * seeded IDs get reproducible names). After a few taken names, a number is appended.
 */
export function generateServiceName(
  random: () => string,
  taken: (name: string) => boolean,
): string {
  const pick = (list: string[], s: string) =>
    list[[...s].reduce((acc, c) => (acc * 31 + c.charCodeAt(0)) % 1_000_003, 7) % list.length]!;
  for (let attempt = 0; ; attempt++) {
    const r = random();
    const half = Math.floor(r.length / 2);
    let name = `${pick(ADJECTIVES, r.slice(0, half))}_${pick(FISH, r.slice(half))}`;
    if (attempt >= 5) name += String(attempt);
    if (!taken(name)) return name;
  }
}
