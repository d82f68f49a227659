/**
 * Task → the body of `POST /containers/create`, after swarmkit's container adapter
 * (daemon/cluster/executor/container/container.go), so a Shoal container looks like the
 * one Swarm would have made: same name, same `com.docker.swarm.*` labels, same mapping of
 * Command/Args onto Entrypoint/Cmd. Pure: no I/O, never throws, whatever the spec holds.
 *
 * Mapped: Image, Command → Entrypoint and Args → Cmd (with no Command the image's
 * entrypoint stays and Args become its Cmd), Env, Dir, User, Groups, Hostname, Tty,
 * OpenStdin, labels (ContainerSpec.Labels, then Task.Labels, then the Swarm labels, later
 * ones winning), StopSignal, StopGracePeriod (as StopTimeout, so a plain `docker stop` on the
 * node honours it too), HealthCheck, ReadOnly, Init, Mounts (bind, volume and tmpfs, with
 * their options), Hosts (as ExtraHosts), DNSConfig, Sysctls, CapabilityAdd/Drop, Ulimits,
 * Isolation, Privileges (SELinux, seccomp, AppArmor, no-new-privileges as SecurityOpt),
 * TaskSpec.LogDriver, Resources.Limits (NanoCPUs, MemoryBytes, Pids) and
 * Resources.Reservations.MemoryBytes (as MemoryReservation, as swarmkit does). The engine
 * never restarts the container (RestartPolicy "no"): restarting is the orchestrator's job,
 * which makes a new task.
 *
 * Not mapped (see unmappedFields(), which the controller logs):
 * - Secrets and Configs: they need the agent's secret and config stores (a later issue).
 * - Networks and Task.NetworksAttachments: containers stay on the engine's default bridge
 *   until overlay networking lands; so no NetworkingConfig, aliases or host-mode published
 *   ports (PortBindings), which a Task here does not carry anyway.
 * - Mounts of type `cluster` (CSI volumes) and `npipe` (Windows): dropped.
 * - Privileges.CredentialSpec (Windows only).
 * - Go templates in Hostname, Env or Labels (`{{.Node.Hostname}}`): passed on unexpanded.
 * - Reservations.NanoCPUs and GenericResources: the scheduler's business; swarmkit's
 *   DOCKER_RESOURCE_* variables for generic resources are not set.
 * - Fields of the create API that a service cannot express and that we leave to the engine's
 *   defaults: Domainname, ExposedPorts, Volumes, MacAddress, Shell, Attach*, StdinOnce,
 *   Privileged, Devices, CpuShares/CpuQuota/CpusetCpus, ShmSize, OomScoreAdj, Runtime,
 *   Pid/Ipc/UTS/Userns modes, CgroupParent, HostConfig.Tmpfs and Binds (Mounts cover them),
 *   AutoRemove (never: wait() needs the exit code and logs() the output after exit).
 */
import {
  type ContainerSpec,
  type HealthConfig,
  type Mount,
  type Privileges,
  type Task,
} from '@shoal/api';

export const SWARM_LABEL = {
  task: 'com.docker.swarm.task',
  taskId: 'com.docker.swarm.task.id',
  taskName: 'com.docker.swarm.task.name',
  serviceId: 'com.docker.swarm.service.id',
  serviceName: 'com.docker.swarm.service.name',
  nodeId: 'com.docker.swarm.node.id',
} as const;

export interface EngineMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Target: string;
  Source?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: Record<string, unknown>;
  VolumeOptions?: Record<string, unknown>;
  TmpfsOptions?: Record<string, unknown>;
}

export interface EngineHostConfig {
  Mounts?: EngineMount[];
  Init?: boolean;
  ReadonlyRootfs?: boolean;
  NanoCpus?: number;
  Memory?: number;
  MemoryReservation?: number;
  PidsLimit?: number;
  RestartPolicy: { Name: 'no'; MaximumRetryCount: 0 };
  GroupAdd?: string[];
  CapAdd?: string[];
  CapDrop?: string[];
  Sysctls?: Record<string, string>;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  ExtraHosts?: string[];
  SecurityOpt?: string[];
  Isolation?: string;
  LogConfig?: { Type: string; Config: Record<string, string> };
}

/**
 * The create body. Shaped like dockerode's ContainerCreateOptions, but with the v1.44 mount
 * options that @types/dockerode does not know; `name` travels as the query parameter.
 */
export interface ContainerConfig {
  name: string;
  Image: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  HostConfig: EngineHostConfig;
}

export interface ContainerConfigOptions {
  /** This node's ID: the node label, and the name's middle part for tasks without a slot. */
  nodeId: string;
  /** The service's name; the service ID stands in when it is unknown. */
  serviceName?: string;
}

const NAME_CHARS = /[^a-zA-Z0-9_.-]/g;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** Drops undefined members, so the body holds only what the spec set. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k];
  }
  return o;
}

/** The service name used in container names and labels. */
export function serviceNameOf(task: Task, opts: ContainerConfigOptions): string {
  return opts.serviceName || task.ServiceID || '';
}

/**
 * Swarm's task and container name, `<service>.<slot>.<taskid>`; a task without a slot
 * (global services) has its node ID in the middle. Characters the engine refuses in a name
 * become `_`, and a name must start with a letter or digit.
 */
export function containerName(task: Task, opts: ContainerConfigOptions): string {
  const slot = num(task.Slot);
  const middle = slot !== undefined && slot > 0 ? String(slot) : str(task.NodeID) || opts.nodeId;
  const raw = `${serviceNameOf(task, opts)}.${middle}.${str(task.ID) ?? ''}`;
  const safe = raw.replace(NAME_CHARS, '_');
  return /^[a-zA-Z0-9]/.test(safe) ? safe : `task${safe}`;
}

/** The container labels: the spec's, the task's, then Swarm's own, which always win. */
export function containerLabels(task: Task, opts: ContainerConfigOptions): Record<string, string> {
  return {
    ...stringRecord(task.Spec?.ContainerSpec?.Labels),
    ...stringRecord(task.Labels),
    [SWARM_LABEL.task]: '',
    [SWARM_LABEL.taskId]: str(task.ID) ?? '',
    [SWARM_LABEL.taskName]: containerName(task, opts),
    [SWARM_LABEL.serviceId]: str(task.ServiceID) ?? '',
    [SWARM_LABEL.serviceName]: serviceNameOf(task, opts),
    [SWARM_LABEL.nodeId]: opts.nodeId,
  };
}

/** The spec's health check; the docker CLI spells it `Healthcheck`, the spec `HealthCheck`. */
export function healthCheckOf(spec: ContainerSpec): HealthConfig | undefined {
  const raw = spec.HealthCheck ?? (spec as { Healthcheck?: HealthConfig }).Healthcheck;
  if (raw === null || typeof raw !== 'object') return undefined;
  return defined({
    Test: Array.isArray(raw.Test) ? strings(raw.Test) : undefined,
    Interval: num(raw.Interval),
    Timeout: num(raw.Timeout),
    Retries: num(raw.Retries),
    StartPeriod: num(raw.StartPeriod),
    StartInterval: num(raw.StartInterval),
  });
}

function engineMount(m: Mount): EngineMount | undefined {
  if (m === null || typeof m !== 'object') return undefined;
  const type = m.Type ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') return undefined;
  const out: EngineMount = defined({
    Type: type,
    Target: str(m.Target) ?? '',
    Source: type === 'tmpfs' ? undefined : str(m.Source),
    ReadOnly: typeof m.ReadOnly === 'boolean' ? m.ReadOnly : undefined,
    Consistency: str(m.Consistency),
  });
  if (type === 'bind' && m.BindOptions && typeof m.BindOptions === 'object') {
    const b = m.BindOptions;
    out.BindOptions = defined({
      Propagation: str(b.Propagation),
      NonRecursive: b.NonRecursive,
      CreateMountpoint: b.CreateMountpoint,
      ReadOnlyNonRecursive: b.ReadOnlyNonRecursive,
      ReadOnlyForceRecursive: b.ReadOnlyForceRecursive,
    });
  }
  if (type === 'volume' && m.VolumeOptions && typeof m.VolumeOptions === 'object') {
    const v = m.VolumeOptions;
    const driver = v.DriverConfig;
    out.VolumeOptions = defined({
      NoCopy: v.NoCopy,
      Labels: v.Labels ? stringRecord(v.Labels) : undefined,
      DriverConfig:
        driver && typeof driver === 'object'
          ? defined({ Name: str(driver.Name), Options: stringRecord(driver.Options) })
          : undefined,
    });
  }
  if (type === 'tmpfs' && m.TmpfsOptions && typeof m.TmpfsOptions === 'object') {
    out.TmpfsOptions = defined({
      SizeBytes: num(m.TmpfsOptions.SizeBytes),
      Mode: num(m.TmpfsOptions.Mode),
    });
  }
  return out;
}

/** Privileges as swarmkit turns them into `--security-opt` values. */
function securityOpts(p: Privileges | undefined): string[] {
  if (!p || typeof p !== 'object') return [];
  const opts: string[] = [];
  const se = p.SELinuxContext;
  if (se && typeof se === 'object') {
    if (se.Disable === true) {
      opts.push('label=disable');
    } else {
      if (se.User) opts.push(`label=user:${se.User}`);
      if (se.Role) opts.push(`label=role:${se.Role}`);
      if (se.Type) opts.push(`label=type:${se.Type}`);
      if (se.Level) opts.push(`label=level:${se.Level}`);
    }
  }
  if (p.Seccomp?.Mode === 'unconfined') opts.push('seccomp=unconfined');
  if (p.Seccomp?.Mode === 'custom' && typeof p.Seccomp.Profile === 'string') {
    opts.push(`seccomp=${p.Seccomp.Profile}`);
  }
  if (p.AppArmor?.Mode === 'disabled') opts.push('apparmor=unconfined');
  if (p.NoNewPrivileges === true) opts.push('no-new-privileges=true');
  return opts;
}

/** `IP host [aliases...]` (the hosts-file order the spec uses) → `host:IP` per name. */
function extraHosts(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const [ip, ...names] = line.trim().split(/\s+/);
    for (const name of names) out.push(`${name}:${ip}`);
  }
  return out;
}

function resources(task: Task): Partial<EngineHostConfig> {
  const limits = task.Spec?.Resources?.Limits;
  const reservations = task.Spec?.Resources?.Reservations;
  const positive = (v: unknown) => {
    const n = num(v);
    return n !== undefined && n > 0 ? n : undefined;
  };
  return defined({
    NanoCpus: positive(limits?.NanoCPUs),
    Memory: positive(limits?.MemoryBytes),
    PidsLimit: positive(limits?.Pids),
    MemoryReservation: positive(reservations?.MemoryBytes),
  });
}

function hostConfig(task: Task, spec: ContainerSpec): EngineHostConfig {
  const dns = spec.DNSConfig;
  const log = task.Spec?.LogDriver;
  const mounts = (Array.isArray(spec.Mounts) ? spec.Mounts : [])
    .map(engineMount)
    .filter((m): m is EngineMount => m !== undefined);
  const ulimits = (Array.isArray(spec.Ulimits) ? spec.Ulimits : [])
    .filter((u) => u !== null && typeof u === 'object' && typeof u.Name === 'string')
    .map((u) => ({ Name: u.Name as string, Soft: num(u.Soft) ?? 0, Hard: num(u.Hard) ?? 0 }));
  const sysctls = stringRecord(spec.Sysctls);
  return defined({
    Mounts: nonEmpty(mounts),
    Init: typeof spec.Init === 'boolean' ? spec.Init : undefined,
    ReadonlyRootfs: spec.ReadOnly === true ? true : undefined,
    ...resources(task),
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    GroupAdd: nonEmpty(strings(spec.Groups)),
    CapAdd: nonEmpty(strings(spec.CapabilityAdd)),
    CapDrop: nonEmpty(strings(spec.CapabilityDrop)),
    Sysctls: Object.keys(sysctls).length > 0 ? sysctls : undefined,
    Ulimits: nonEmpty(ulimits),
    Dns: nonEmpty(strings(dns?.Nameservers)),
    DnsSearch: nonEmpty(strings(dns?.Search)),
    DnsOptions: nonEmpty(strings(dns?.Options)),
    ExtraHosts: nonEmpty(extraHosts(strings(spec.Hosts))),
    SecurityOpt: nonEmpty(securityOpts(spec.Privileges)),
    Isolation: str(spec.Isolation) || undefined,
    LogConfig:
      log && typeof log === 'object' && str(log.Name)
        ? { Type: log.Name as string, Config: stringRecord(log.Options) }
        : undefined,
  });
}

/** The create body for `task`'s container. */
export function containerConfig(task: Task, opts: ContainerConfigOptions): ContainerConfig {
  const spec: ContainerSpec =
    task.Spec?.ContainerSpec && typeof task.Spec.ContainerSpec === 'object'
      ? task.Spec.ContainerSpec
      : {};
  const command = strings(spec.Command);
  const args = strings(spec.Args);
  const grace = num(spec.StopGracePeriod);
  const health = healthCheckOf(spec);
  return defined({
    name: containerName(task, opts),
    Image: str(spec.Image) ?? '',
    // Command replaces the image's entrypoint; Args alone are arguments to it (swarmkit).
    Entrypoint: command.length > 0 ? command : undefined,
    Cmd: nonEmpty(args),
    Env: nonEmpty(strings(spec.Env)),
    WorkingDir: str(spec.Dir) || undefined,
    User: str(spec.User) || undefined,
    Hostname: str(spec.Hostname) || undefined,
    Tty: spec.TTY === true ? true : undefined,
    OpenStdin: spec.OpenStdin === true ? true : undefined,
    Labels: containerLabels(task, opts),
    StopSignal: str(spec.StopSignal) || undefined,
    StopTimeout:
      grace !== undefined && grace >= 0 ? Math.max(0, Math.ceil(grace / 1e9)) : undefined,
    Healthcheck: health && Object.keys(health).length > 0 ? health : undefined,
    HostConfig: hostConfig(task, spec),
  });
}

/**
 * The spec's settings that containerConfig() leaves out, by name, so the controller can say
 * so in the log instead of running a container that silently lacks them.
 */
export function unmappedFields(task: Task): string[] {
  const spec = task.Spec?.ContainerSpec ?? {};
  const out: string[] = [];
  if (Array.isArray(spec.Secrets) && spec.Secrets.length > 0) out.push('Secrets');
  if (Array.isArray(spec.Configs) && spec.Configs.length > 0) out.push('Configs');
  const networks = task.Spec?.Networks ?? [];
  if (Array.isArray(networks) && networks.length > 0) out.push('Networks');
  const mounts = Array.isArray(spec.Mounts) ? spec.Mounts : [];
  for (const m of mounts) {
    const type = m?.Type ?? 'volume';
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
      out.push(`Mounts (type ${String(type)})`);
    }
  }
  const cred = spec.Privileges?.CredentialSpec;
  if (cred && Object.keys(cred).length > 0) out.push('Privileges.CredentialSpec');
  return out;
}
