/** How services and their tasks are shown: `service ls`, `service ps`, `service inspect --pretty`. */
import type { EndpointPortConfig, Node, Service, Task, UpdateConfig } from '../api/swarm.types';
import { capitalize, ellipsis, imageWithoutDigest, shortId, since } from '../output/human.format';
import { type PrettyLine, field, plain, renderPretty, section } from '../output/pretty.printer';
import { renderTable } from '../output/table.renderer';
import { formatDuration } from '../parse/duration.parser';
import { formatBytes, formatNanoCpus } from '../parse/units.parser';
import { modeName } from '../spec/service-spec.builder';

/** One `service ls` row; also what `--format json` prints (docker's field names). */
export interface ServiceRow {
  ID: string;
  Name: string;
  Mode: string;
  Replicas: string;
  Image: string;
  Ports: string;
}

// A task counts as up when it runs and is meant to: during a rolling update the old task is
// still "running" while being shut down, and counting it would show 4/3.
const isUp = (t: Task): boolean =>
  t.Status?.State === 'running' && t.DesiredState !== 'shutdown' && t.DesiredState !== 'remove';
const isWanted = (t: Task): boolean =>
  t.DesiredState === 'running' || t.DesiredState === 'complete' || t.DesiredState === 'ready';

/** "2/3", "1/1 (3/5 completed)" for jobs, "... (max 2 per node)" with a per-node cap. */
export function replicasSummary(service: Service, tasks: readonly Task[]): string {
  const own = tasks.filter((t) => t.ServiceID === service.ID);
  const running = own.filter(isUp).length;
  const completed = own.filter((t) => t.Status?.State === 'complete').length;
  const mode = service.Spec?.Mode;
  let summary: string;
  switch (modeName(mode)) {
    case 'replicated':
      summary = `${running}/${mode?.Replicated?.Replicas ?? 1}`;
      break;
    case 'global':
      summary = `${running}/${own.filter((t) => t.DesiredState === 'running').length}`;
      break;
    case 'replicated-job': {
      const job = mode?.ReplicatedJob;
      const concurrent = job?.MaxConcurrent ?? 1;
      summary = `${running}/${concurrent} (${completed}/${job?.TotalCompletions ?? concurrent} completed)`;
      break;
    }
    case 'global-job': {
      const desired = own.filter(isWanted).length;
      summary = `${running}/${desired} (${completed}/${desired} completed)`;
      break;
    }
  }
  const max = service.Spec?.TaskTemplate?.Placement?.MaxReplicas;
  return max ? `${summary} (max ${max} per node)` : summary;
}

/**
 * Published ingress ports as docker lists them, consecutive ports folded into ranges:
 * `*:8080-8081->80-81/tcp, *:53->53/udp`. Host-mode ports are per task, so not listed here.
 */
export function portsSummary(ports: readonly EndpointPortConfig[] | undefined): string {
  const ingress = (ports ?? [])
    .filter((p) => (p.PublishMode ?? 'ingress') === 'ingress' && p.PublishedPort)
    .sort(
      (a, b) =>
        (a.Protocol ?? 'tcp').localeCompare(b.Protocol ?? 'tcp') ||
        (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0),
    );
  const out: string[] = [];
  let i = 0;
  while (i < ingress.length) {
    const first = ingress[i] as EndpointPortConfig;
    const protocol = first.Protocol ?? 'tcp';
    let j = i;
    const next = (): EndpointPortConfig | undefined => ingress[j + 1];
    while (
      next() &&
      (next()?.Protocol ?? 'tcp') === protocol &&
      next()?.PublishedPort === (ingress[j]?.PublishedPort ?? 0) + 1 &&
      next()?.TargetPort === (ingress[j]?.TargetPort ?? 0) + 1
    ) {
      j++;
    }
    const last = ingress[j] as EndpointPortConfig;
    out.push(
      j === i
        ? `*:${first.PublishedPort}->${first.TargetPort}/${protocol}`
        : `*:${first.PublishedPort}-${last.PublishedPort}->${first.TargetPort}-${last.TargetPort}/${protocol}`,
    );
    i = j + 1;
  }
  return out.join(', ');
}

const MODE_LABELS = {
  replicated: 'replicated',
  global: 'global',
  'replicated-job': 'replicated job',
  'global-job': 'global job',
} as const;

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/** Rows sorted by service name, as docker lists them. */
export function serviceRows(services: readonly Service[], tasks: readonly Task[]): ServiceRow[] {
  return [...services]
    .sort((a, b) => naturalOrder(a.Spec?.Name ?? '', b.Spec?.Name ?? ''))
    .map((s) => ({
      ID: s.ID,
      Name: s.Spec?.Name ?? '',
      Mode: MODE_LABELS[modeName(s.Spec?.Mode)],
      Replicas: replicasSummary(s, tasks),
      Image: imageWithoutDigest(s.Spec?.TaskTemplate?.ContainerSpec?.Image),
      Ports: portsSummary(s.Endpoint?.Ports ?? s.Spec?.EndpointSpec?.Ports),
    }));
}

export function renderServiceTable(rows: readonly ServiceRow[]): string {
  return renderTable(
    ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'],
    rows.map((r) => [shortId(r.ID), r.Name, r.Mode, r.Replicas, r.Image, r.Ports]),
  );
}

/** One `service ps` row; also what `--format json` prints. */
export interface TaskRow {
  ID: string;
  Name: string;
  Image: string;
  Node: string;
  DesiredState: string;
  CurrentState: string;
  Error: string;
}

const MAX_ERROR_LENGTH = 30;

/** `web.2` for a replica slot, `web.<node id>` for a global task. */
export function taskName(serviceName: string, task: Task): string {
  if (task.Slot !== undefined && task.Slot > 0) return `${serviceName}.${task.Slot}`;
  return `${serviceName}.${task.NodeID ?? ''}`;
}

const taskTime = (t: Task): number => Date.parse(t.Status?.Timestamp ?? t.CreatedAt ?? '') || 0;

/**
 * Tasks grouped by slot, newest first; older tasks of a slot are the history and are shown
 * indented under the current one (` \_ web.1`), as docker does.
 */
export function taskRows(
  serviceNames: ReadonlyMap<string, string>,
  tasks: readonly Task[],
  nodes: readonly Node[],
  now: Date,
  noTrunc = false,
): TaskRow[] {
  const hostnames = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? '']));
  const named = tasks.map((task) => ({
    task,
    name: taskName(serviceNames.get(task.ServiceID ?? '') ?? task.ServiceID ?? '', task),
  }));
  named.sort((a, b) => naturalOrder(a.name, b.name) || taskTime(b.task) - taskTime(a.task));
  return named.map(({ task, name }, i) => {
    const history = i > 0 && named[i - 1]?.name === name;
    const state = capitalize(task.Status?.State);
    const ago = since(task.Status?.Timestamp, now);
    const err = task.Status?.Err ?? '';
    return {
      ID: task.ID,
      Name: history ? ` \\_ ${name}` : name,
      Image: noTrunc
        ? (task.Spec?.ContainerSpec?.Image ?? '')
        : imageWithoutDigest(task.Spec?.ContainerSpec?.Image),
      Node: hostnames.get(task.NodeID ?? '') || (task.NodeID ?? ''),
      DesiredState: capitalize(task.DesiredState),
      CurrentState: ago ? `${state} ${ago}` : state,
      Error: err === '' ? '' : `"${noTrunc ? err : ellipsis(err, MAX_ERROR_LENGTH)}"`,
    };
  });
}

export function renderTaskTable(rows: readonly TaskRow[], noTrunc = false): string {
  return renderTable(
    ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR'],
    rows.map((r) => [
      shortId(r.ID, noTrunc),
      r.Name,
      r.Image,
      r.Node,
      r.DesiredState,
      r.CurrentState,
      r.Error,
    ]),
  );
}

const durationText = (ns: number | undefined): string | undefined =>
  ns === undefined ? undefined : formatDuration(ns);

function updateConfigLines(
  config: UpdateConfig | undefined,
  verb: 'Update' | 'Rollback',
): PrettyLine[] {
  if (!config) return [];
  return [
    ...field(' Parallelism', config.Parallelism),
    ...field(' Delay', durationText(config.Delay)),
    ...field(' On failure', config.FailureAction),
    ...field(' Monitoring Period', durationText(config.Monitor)),
    ...field(' Max failure ratio', config.MaxFailureRatio),
    ...field(` ${verb} order`, config.Order),
  ];
}

const listLines = (items: readonly string[] | undefined): PrettyLine[] =>
  (items ?? []).map((item) => plain(`  ${item}`));

export function renderServicePretty(service: Service): string {
  const spec = service.Spec ?? {};
  const task = spec.TaskTemplate ?? {};
  const container = task.ContainerSpec ?? {};
  const mode = modeName(spec.Mode);
  const resources = task.Resources ?? {};
  const cpu = (v?: number) => (v === undefined ? undefined : formatNanoCpus(v));
  const mem = (v?: number) => (v === undefined ? undefined : formatBytes(v));
  const ports = service.Endpoint?.Ports ?? spec.EndpointSpec?.Ports ?? [];
  const lines: PrettyLine[] = [
    ...field('ID', service.ID),
    ...field('Name', spec.Name),
    ...section(
      'Labels',
      Object.entries(spec.Labels ?? {}).map(([k, v]) => plain(` ${k}=${v}`)),
    ),
    ...field(
      'Service Mode',
      MODE_LABELS[mode].replace(/^./, (c) => c.toUpperCase()),
    ),
    ...(mode === 'replicated' ? field(' Replicas', spec.Mode?.Replicated?.Replicas) : []),
    ...(mode === 'replicated-job'
      ? [
          ...field(' Max Concurrent', spec.Mode?.ReplicatedJob?.MaxConcurrent),
          ...field(' Total Completions', spec.Mode?.ReplicatedJob?.TotalCompletions),
        ]
      : []),
    ...section('UpdateStatus', [
      ...field(' State', service.UpdateStatus?.State),
      ...field(' Started', service.UpdateStatus?.StartedAt),
      ...field(' Message', service.UpdateStatus?.Message),
    ]),
    ...section('Placement', [
      ...(task.Placement?.Constraints?.length
        ? [{ label: ' Constraints' }, ...listLines(task.Placement.Constraints)]
        : []),
      ...(task.Placement?.Preferences?.length
        ? [
            { label: ' Preferences' },
            ...listLines(
              task.Placement.Preferences.map((p) => `Spread: ${p.Spread?.SpreadDescriptor ?? ''}`),
            ),
          ]
        : []),
      ...field(' Max Replicas Per Node', task.Placement?.MaxReplicas),
    ]),
    ...section('UpdateConfig', updateConfigLines(spec.UpdateConfig, 'Update')),
    ...section('RollbackConfig', updateConfigLines(spec.RollbackConfig, 'Rollback')),
    ...section('RestartPolicy', [
      ...field(' Condition', task.RestartPolicy?.Condition),
      ...field(' Delay', durationText(task.RestartPolicy?.Delay)),
      ...field(' Max attempts', task.RestartPolicy?.MaxAttempts),
      ...field(' Window', durationText(task.RestartPolicy?.Window)),
    ]),
    { label: 'ContainerSpec' },
    ...field(' Image', container.Image),
    ...field(' Command', container.Command?.join(' ')),
    ...field(' Args', container.Args?.join(' ')),
    ...(container.Env?.length ? [{ label: ' Env' }, ...listLines(container.Env)] : []),
    ...field(' Dir', container.Dir),
    ...field(' User', container.User),
    ...field(' Hostname', container.Hostname),
    ...field(' Stop grace period', durationText(container.StopGracePeriod)),
    ...field(' Healthcheck', container.HealthCheck?.Test?.join(' ')),
    ...section(
      'Mounts',
      (container.Mounts ?? []).flatMap((m) => [
        ...field(' Target', m.Target),
        ...field('  Source', m.Source),
        ...field('  ReadOnly', m.ReadOnly === undefined ? undefined : String(m.ReadOnly)),
        ...field('  Type', m.Type),
      ]),
    ),
    ...section('Resources', [
      ...section(' Reservations', [
        ...field('  CPU', cpu(resources.Reservations?.NanoCPUs)),
        ...field('  Memory', mem(resources.Reservations?.MemoryBytes)),
      ]),
      ...section(' Limits', [
        ...field('  CPU', cpu(resources.Limits?.NanoCPUs)),
        ...field('  Memory', mem(resources.Limits?.MemoryBytes)),
      ]),
    ]),
    ...field('Endpoint Mode', spec.EndpointSpec?.Mode),
    ...section(
      'Ports',
      ports.flatMap((p) => [
        ...field(' PublishedPort', p.PublishedPort),
        ...field('  Protocol', p.Protocol),
        ...field('  TargetPort', p.TargetPort),
        ...field('  PublishMode', p.PublishMode),
      ]),
    ),
  ];
  return renderPretty(lines);
}
