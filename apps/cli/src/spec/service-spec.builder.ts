/**
 * Turns `service create` / `service update` flags into the ServiceSpec sent to the daemon.
 *
 * Both commands go through the same setters: create applies them to an empty spec, update to
 * the spec it just read. Starting create from `{}` is what makes "only send the fields the
 * user set" hold: the daemon, not the CLI, owns the defaults (replicas 1, restart any...),
 * so shoal's defaults live in one place and an update never freezes a default into the spec.
 */
import type {
  ContainerSpec,
  EndpointPortConfig,
  HealthConfig,
  Mount,
  Placement,
  ServiceSpec,
  TaskSpec,
} from '../api/swarm.types';
import { UsageError } from '../errors/cli.errors';
import { envName, parseLabels, resolveEnv } from '../parse/key-value.parser';
import type {
  CommonServiceFlags,
  CreateServiceFlags,
  ServiceModeName,
  UpdateServiceFlags,
} from './service-flags.types';

type Env = Readonly<Record<string, string | undefined>>;

const taskTemplate = (spec: ServiceSpec): TaskSpec => (spec.TaskTemplate ??= {});
const containerSpec = (spec: ServiceSpec): ContainerSpec =>
  (taskTemplate(spec).ContainerSpec ??= {});
const placement = (spec: ServiceSpec): Placement => (taskTemplate(spec).Placement ??= {});

/** `spread=node.labels.zone` is the only placement preference swarm has. */
export function parsePlacementPref(value: string): { Spread: { SpreadDescriptor: string } } {
  const eq = value.indexOf('=');
  const strategy = eq < 0 ? '' : value.slice(0, eq).trim();
  const descriptor = eq < 0 ? '' : value.slice(eq + 1).trim();
  if (strategy !== 'spread' || descriptor === '') {
    throw new UsageError(
      `invalid placement preference ${JSON.stringify(value)}: expected spread=DESCRIPTOR ` +
        '(e.g. spread=node.labels.zone); spread is the only strategy',
    );
  }
  return { Spread: { SpreadDescriptor: descriptor } };
}

export function modeSpec(mode: ServiceModeName): NonNullable<ServiceSpec['Mode']> {
  switch (mode) {
    case 'replicated':
      return { Replicated: {} };
    case 'global':
      return { Global: {} };
    case 'replicated-job':
      return { ReplicatedJob: {} };
    case 'global-job':
      return { GlobalJob: {} };
  }
}

/** The CLI name of a spec's mode ("replicated" when the spec leaves it to the daemon). */
export function modeName(mode: ServiceSpec['Mode']): ServiceModeName {
  if (mode?.Global) return 'global';
  if (mode?.ReplicatedJob) return 'replicated-job';
  if (mode?.GlobalJob) return 'global-job';
  return 'replicated';
}

function applyReplicas(spec: ServiceSpec, flags: CommonServiceFlags): void {
  if (flags.replicas !== undefined) {
    const mode = modeName(spec.Mode);
    if (mode === 'replicated') {
      spec.Mode = {
        ...spec.Mode,
        Replicated: { ...spec.Mode?.Replicated, Replicas: flags.replicas },
      };
    } else if (mode === 'replicated-job') {
      // For a job, --replicas is how many completions it needs, as with docker.
      spec.Mode = {
        ReplicatedJob: { ...spec.Mode?.ReplicatedJob, TotalCompletions: flags.replicas },
      };
    } else {
      throw new UsageError(
        `--replicas can only be used with replicated or replicated-job mode, not ${mode}`,
      );
    }
  }
  if (flags.maxConcurrent !== undefined) {
    if (modeName(spec.Mode) !== 'replicated-job') {
      throw new UsageError('--max-concurrent can only be used with replicated-job mode');
    }
    spec.Mode = {
      ReplicatedJob: { ...spec.Mode?.ReplicatedJob, MaxConcurrent: flags.maxConcurrent },
    };
  }
}

function applyResources(spec: ServiceSpec, flags: CommonServiceFlags): void {
  const set = (
    kind: 'Limits' | 'Reservations',
    field: 'NanoCPUs' | 'MemoryBytes',
    value?: number,
  ) => {
    if (value === undefined) return;
    const resources = (taskTemplate(spec).Resources ??= {});
    (resources[kind] ??= {})[field] = value;
  };
  set('Reservations', 'NanoCPUs', flags.reserveCpu);
  set('Reservations', 'MemoryBytes', flags.reserveMemory);
  set('Limits', 'NanoCPUs', flags.limitCpu);
  set('Limits', 'MemoryBytes', flags.limitMemory);
}

function applyRestartPolicy(spec: ServiceSpec, flags: CommonServiceFlags): void {
  assignDefined(() => (taskTemplate(spec).RestartPolicy ??= {}), {
    Condition: flags.restartCondition,
    Delay: flags.restartDelay,
    MaxAttempts: flags.restartMaxAttempts,
    Window: flags.restartWindow,
  });
}

function applyHealth(spec: ServiceSpec, flags: CommonServiceFlags): void {
  const fields: HealthConfig = {
    Interval: flags.healthInterval,
    Timeout: flags.healthTimeout,
    Retries: flags.healthRetries,
    StartPeriod: flags.healthStartPeriod,
  };
  const anyHealthFlag =
    flags.healthCmd !== undefined || Object.values(fields).some((v) => v !== undefined);
  if (flags.healthcheck === false) {
    if (anyHealthFlag) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    containerSpec(spec).HealthCheck = { Test: ['NONE'] };
    return;
  }
  if (!anyHealthFlag) return;
  const container = containerSpec(spec);
  const current = container.HealthCheck ?? {};
  // Tuning intervals of a disabled check would be meaningless; drop the NONE marker then.
  const currentTest = current.Test?.[0] === 'NONE' ? undefined : current.Test;
  const test = flags.healthCmd !== undefined ? ['CMD-SHELL', flags.healthCmd] : currentTest;
  container.HealthCheck = definedOnly({ ...current, Test: test, ...definedOnly(fields) });
}

function applyContainerScalars(spec: ServiceSpec, flags: CommonServiceFlags): void {
  assignDefined(() => containerSpec(spec), {
    Hostname: flags.hostname,
    Dir: flags.workdir,
    User: flags.user,
    StopGracePeriod: flags.stopGracePeriod,
    Init: flags.init,
    ReadOnly: flags.readOnly,
  });
}

/** Applies the flags create and update share. Mutates `spec`. */
export function applyCommonFlags(spec: ServiceSpec, flags: CommonServiceFlags): void {
  applyReplicas(spec, flags);
  applyResources(spec, flags);
  applyRestartPolicy(spec, flags);
  assignDefined(() => (spec.UpdateConfig ??= {}), {
    Parallelism: flags.updateParallelism,
    Delay: flags.updateDelay,
    FailureAction: flags.updateFailureAction,
    Monitor: flags.updateMonitor,
    MaxFailureRatio: flags.updateMaxFailureRatio,
    Order: flags.updateOrder,
  });
  assignDefined(() => (spec.RollbackConfig ??= {}), {
    Parallelism: flags.rollbackParallelism,
    Delay: flags.rollbackDelay,
    FailureAction: flags.rollbackFailureAction,
    Monitor: flags.rollbackMonitor,
    MaxFailureRatio: flags.rollbackMaxFailureRatio,
    Order: flags.rollbackOrder,
  });
  applyHealth(spec, flags);
  applyContainerScalars(spec, flags);
}

/** The body of POST /services/create for `service create [flags] IMAGE [COMMAND] [ARG...]`. */
export function buildServiceSpec(
  image: string,
  args: readonly string[],
  flags: CreateServiceFlags,
  env: Env = {},
): ServiceSpec {
  if (image.trim() === '') throw new UsageError('an image is required');
  const spec: ServiceSpec = {};
  if (flags.name !== undefined) spec.Name = flags.name;
  if (flags.label?.length) spec.Labels = parseLabels(flags.label, '--label');

  const container: ContainerSpec = { Image: image };
  // Like docker, COMMAND and ARGs override the image's CMD (ContainerSpec.Args), not its
  // ENTRYPOINT (ContainerSpec.Command).
  if (args.length > 0) container.Args = [...args];
  if (flags.env?.length) container.Env = flags.env.map((e) => resolveEnv(e, env));
  if (flags.containerLabel?.length) {
    container.Labels = parseLabels(flags.containerLabel, '--container-label');
  }
  if (flags.mount?.length) container.Mounts = [...flags.mount];
  spec.TaskTemplate = { ContainerSpec: container };

  if (flags.constraint?.length) placement(spec).Constraints = [...flags.constraint];
  if (flags.placementPref?.length) {
    placement(spec).Preferences = flags.placementPref.map(parsePlacementPref);
  }
  if (flags.mode !== undefined) spec.Mode = modeSpec(flags.mode);
  if (flags.publish?.length) spec.EndpointSpec = { Ports: [...flags.publish] };

  applyCommonFlags(spec, flags);
  return spec;
}

/**
 * The body of POST /services/{id}/update: the current spec with the flags applied. Works on a
 * deep copy, so fields the CLI does not know about (networks, secrets...) survive untouched.
 */
export function applyServiceUpdate(
  current: ServiceSpec,
  flags: UpdateServiceFlags,
  env: Env = {},
): ServiceSpec {
  const spec = structuredClone(current);
  if (flags.image !== undefined) containerSpec(spec).Image = flags.image;

  if (flags.labelAdd?.length || flags.labelRm?.length) {
    spec.Labels = updateLabels(spec.Labels, flags.labelAdd, flags.labelRm, '--label-add');
  }
  if (flags.containerLabelAdd?.length || flags.containerLabelRm?.length) {
    const container = containerSpec(spec);
    container.Labels = updateLabels(
      container.Labels,
      flags.containerLabelAdd,
      flags.containerLabelRm,
      '--container-label-add',
    );
  }
  if (flags.envAdd?.length || flags.envRm?.length) {
    const container = containerSpec(spec);
    const added = (flags.envAdd ?? []).map((e) => resolveEnv(e, env));
    const dropped = new Set([...(flags.envRm ?? []), ...added].map(envName));
    container.Env = [...(container.Env ?? []).filter((e) => !dropped.has(envName(e))), ...added];
  }
  if (flags.constraintAdd?.length || flags.constraintRm?.length) {
    const p = placement(spec);
    const dropped = new Set([...(flags.constraintRm ?? []), ...(flags.constraintAdd ?? [])]);
    p.Constraints = [
      ...(p.Constraints ?? []).filter((c) => !dropped.has(c)),
      ...(flags.constraintAdd ?? []),
    ];
  }
  if (flags.placementPrefAdd?.length || flags.placementPrefRm?.length) {
    const p = placement(spec);
    const removed = (flags.placementPrefRm ?? []).map(
      (v) => parsePlacementPref(v).Spread.SpreadDescriptor,
    );
    const added = (flags.placementPrefAdd ?? []).map(parsePlacementPref);
    const dropped = new Set([...removed, ...added.map((a) => a.Spread.SpreadDescriptor)]);
    p.Preferences = [
      ...(p.Preferences ?? []).filter((pref) => !dropped.has(pref.Spread?.SpreadDescriptor ?? '')),
      ...added,
    ];
  }
  if (flags.publishAdd?.length || flags.publishRm?.length) {
    const endpoint = (spec.EndpointSpec ??= {});
    endpoint.Ports = updatePorts(
      endpoint.Ports ?? [],
      flags.publishAdd ?? [],
      flags.publishRm ?? [],
    );
  }
  if (flags.mountAdd?.length || flags.mountRm?.length) {
    const container = containerSpec(spec);
    container.Mounts = updateMounts(
      container.Mounts ?? [],
      flags.mountAdd ?? [],
      flags.mountRm ?? [],
    );
  }

  applyCommonFlags(spec, flags);

  if (flags.force) {
    // ForceUpdate is a counter: a change of value asks for every task to be redeployed (done
    // by the rolling updater, issue #7; jobs start a new run).
    const task = taskTemplate(spec);
    task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
  }
  return spec;
}

function updateLabels(
  current: Record<string, string> | undefined,
  add: readonly string[] = [],
  remove: readonly string[] = [],
  flag: string,
): Record<string, string> {
  const labels = { ...current };
  for (const key of remove) delete labels[key];
  return { ...labels, ...parseLabels(add, flag) };
}

const protocolOf = (port: EndpointPortConfig): string => port.Protocol ?? 'tcp';

/**
 * --publish-rm drops the mappings of a target port (and protocol); --publish-add then adds
 * its ports, replacing any existing mapping of the same published port, which the daemon
 * would refuse as a conflict anyway.
 */
export function updatePorts(
  current: readonly EndpointPortConfig[],
  add: readonly EndpointPortConfig[],
  remove: readonly EndpointPortConfig[],
): EndpointPortConfig[] {
  const removed = (p: EndpointPortConfig) =>
    remove.some((r) => r.TargetPort === p.TargetPort && protocolOf(r) === protocolOf(p));
  const replaced = (p: EndpointPortConfig) =>
    add.some(
      (a) =>
        protocolOf(a) === protocolOf(p) &&
        (a.PublishedPort !== undefined && a.PublishedPort !== 0
          ? a.PublishedPort === p.PublishedPort
          : a.TargetPort === p.TargetPort && !p.PublishedPort),
    );
  return [...current.filter((p) => !removed(p) && !replaced(p)), ...add];
}

/** --mount-rm drops mounts by container path; --mount-add replaces a mount at the same path. */
export function updateMounts(
  current: readonly Mount[],
  add: readonly Mount[],
  removeTargets: readonly string[],
): Mount[] {
  const dropped = new Set([...removeTargets, ...add.map((m) => m.Target ?? '')]);
  return [...current.filter((m) => !dropped.has(m.Target ?? '')), ...add];
}

/**
 * Copies the fields the user set into the object `target()` returns. `target` runs only when
 * at least one is set, so a group of flags left alone never adds an empty object to the spec.
 */
function assignDefined<T extends object>(target: () => T, fields: NoInfer<T>): void {
  const defined = definedOnly(fields);
  if (Object.keys(defined).length > 0) Object.assign(target(), defined);
}

/** A copy of `value` without its undefined fields, so they never reach the JSON body. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
