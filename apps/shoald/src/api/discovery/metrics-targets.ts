import { type Node, type Service, type Task } from '@shoal/api';

/** Prometheus's HTTP service discovery format: one group of targets sharing labels. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Engine label a node sets when it serves /metrics: host:port, reachable by other nodes. */
export const METRICS_ADDR_LABEL = 'shoal.metrics-addr';

/** The Kubernetes-era annotations Prometheus configs commonly key on. */
export const SCRAPE_LABEL = 'prometheus.io/scrape';
export const PORT_LABEL = 'prometheus.io/port';
export const PATH_LABEL = 'prometheus.io/path';

const META = '__meta_shoal_';

/** A labelled service whose tasks cannot become targets, and why; reported once per cause. */
export interface SkippedService {
  serviceId: string;
  serviceName: string;
  reason: string;
}

export interface MetricsTargets {
  groups: TargetGroup[];
  skipped: SkippedService[];
}

/**
 * GET /metrics/targets: every node that reports a metrics endpoint, then every running task
 * of a service labelled prometheus.io/scrape=true. A task's address is its node's address
 * with the service's prometheus.io/port: process-executor tasks share the host's network,
 * so that is where they listen; a docker-executor task is reachable there only when it
 * publishes that port in host mode or uses the host network (Shoal has no overlay
 * addresses to offer yet), otherwise its target shows as down, which is the truth.
 */
export function buildMetricsTargets(
  nodes: Node[],
  services: Service[],
  tasks: Task[],
): MetricsTargets {
  const groups: TargetGroup[] = [];
  const byId = new Map(nodes.map((n) => [n.ID!, n]));
  for (const n of nodes) {
    const addr = n.Description?.Engine?.Labels?.[METRICS_ADDR_LABEL];
    if (!addr) continue;
    groups.push({ targets: [addr], labels: { [`${META}target`]: 'node', ...nodeLabels(n) } });
  }

  const skipped: SkippedService[] = [];
  const scraped = new Map<string, { service: Service; port: string; path?: string }>();
  for (const s of services) {
    const labels = s.Spec?.Labels ?? {};
    if (labels[SCRAPE_LABEL] !== 'true') continue;
    const problem = labelProblem(labels);
    if (problem) {
      skipped.push({ serviceId: s.ID!, serviceName: s.Spec?.Name ?? '', reason: problem });
      continue;
    }
    scraped.set(s.ID!, { service: s, port: labels[PORT_LABEL]!, path: labels[PATH_LABEL] });
  }

  for (const t of tasks) {
    const entry = t.ServiceID ? scraped.get(t.ServiceID) : undefined;
    if (!entry || t.DesiredState !== 'running' || t.Status?.State !== 'running') continue;
    const node = t.NodeID ? byId.get(t.NodeID) : undefined;
    const host = node?.Status?.Addr;
    if (!node || !host) continue;
    const { service, port, path } = entry;
    groups.push({
      targets: [joinHostPort(host, port)],
      labels: {
        [`${META}target`]: 'task',
        ...nodeLabels(node),
        [`${META}service_id`]: service.ID!,
        [`${META}service_name`]: service.Spec?.Name ?? '',
        [`${META}task_id`]: t.ID!,
        [`${META}task_slot`]: String(t.Slot ?? 0),
        ...(path ? { __metrics_path__: path } : {}),
        ...labelsWithPrefix(`${META}service_label_`, service.Spec?.Labels),
      },
    });
  }
  return { groups, skipped };
}

function labelProblem(labels: Record<string, string>): string | undefined {
  const port = labels[PORT_LABEL];
  if (port === undefined) return `no ${PORT_LABEL} label: the port to scrape is unknown`;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `${PORT_LABEL}="${port}" is not a port number (1-65535)`;
  }
  const path = labels[PATH_LABEL];
  if (path !== undefined && !path.startsWith('/')) {
    return `${PATH_LABEL}="${path}" must be an absolute path starting with /`;
  }
  // Prometheus puts __metrics_path__ in the URL's path and percent-encodes ? and #, so a
  // query or fragment here would be requested as part of the path: a target that always 404s.
  if (path !== undefined && /[?#]/.test(path)) {
    return `${PATH_LABEL}="${path}" must be a plain path, without a query (?) or fragment (#)`;
  }
  return undefined;
}

function nodeLabels(n: Node): Record<string, string> {
  return {
    [`${META}node_id`]: n.ID!,
    [`${META}node_hostname`]: n.Description?.Hostname ?? '',
    [`${META}node_role`]: n.Spec?.Role ?? '',
    [`${META}node_address`]: n.Status?.Addr ?? '',
    [`${META}node_availability`]: n.Spec?.Availability ?? '',
    [`${META}node_state`]: n.Status?.State ?? '',
    ...labelsWithPrefix(`${META}node_label_`, n.Spec?.Labels),
  };
}

/** Label names as Prometheus sanitizes them: anything outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function labelsWithPrefix(
  prefix: string,
  labels: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[prefix + sanitizeLabelName(k)] = v;
  return out;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
