/**
 * What Prometheus's dockerswarm_sd_configs (v2.42, discovery/moby) does against a Docker
 * API, restated from reading its source so the specs can check Shoal's answers feed it.
 * Not a copy: only the requests and the label mapping, in our terms.
 *
 * Requests (the Docker Go client, created with API version negotiation). Debian's 2.42 build
 * was observed (a logging stub server, 2026-11) to send no /_ping at all and to call under
 * /v1.24, the client's fallback version; a client that negotiates would HEAD /_ping and use
 * min(Api-Version, its own). Shoal accepts /v1.24 to /v1.44, so both work. The calls:
 *   - role nodes:    GET /nodes[?filters=]                      (the configured filters)
 *   - role services: GET /services[?filters=], GET /networks
 *   - role tasks:    GET /tasks[?filters=], GET /services, GET /nodes, GET /networks
 *   Filters go as JSON in the client's map form: {"name":{"value":true}}. Any failed call
 *   fails the whole refresh (no targets from that job until the next refresh).
 *
 * Targets:
 *   - nodes: one per node at Status.Addr:<port>.
 *   - services: one per Endpoint.VirtualIPs entry (× TCP Endpoint.Ports); a service
 *     without virtual IPs yields none.
 *   - tasks: one per TCP Status.PortStatus.Ports entry at <node address>:<published port>,
 *     plus one per NetworksAttachments address (× the service's TCP Endpoint.Ports, or
 *     <address>:<port> when it has none). A task with neither yields no target at all,
 *     whatever its state.
 */
import { type Network, type Node, type Service, type Task } from '@shoal/api';
import { sanitizeLabelName } from '../discovery/metrics-targets';

export type LabelSet = Record<string, string>;

const P = '__meta_dockerswarm_';
/** The version Prometheus 2.42 (Debian) was seen to call under. */
export const OBSERVED_API_VERSION = '1.24';
/** The API version a docker 20.10 client speaks at most, were it to negotiate. */
export const CLIENT_MAX_API_VERSION = '1.41';

export function negotiateVersion(serverApiVersion: string): string {
  const [a, b] = [serverApiVersion, CLIENT_MAX_API_VERSION].map((v) => v.split('.').map(Number));
  return a![0]! < b![0]! || (a![0] === b![0] && a![1]! < b![1]!)
    ? serverApiVersion
    : CLIENT_MAX_API_VERSION;
}

/** The Go client's filters.ToJSON: every value a key of a map to true. */
export function clientFilters(filters: Record<string, string[]>): string {
  const out: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(filters)) {
    out[k] = Object.fromEntries(vs.map((v) => [v, true]));
  }
  return JSON.stringify(out);
}

function prefixed(prefix: string, labels: Record<string, string> | undefined): LabelSet {
  const out: LabelSet = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[prefix + sanitizeLabelName(k)] = v;
  return out;
}

function hostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Labels shared by a node target and every task on the node (getNodesLabels). */
function nodeCommon(n: Node): LabelSet {
  return {
    [`${P}node_id`]: n.ID ?? '',
    [`${P}node_role`]: n.Spec?.Role ?? '',
    [`${P}node_address`]: n.Status?.Addr ?? '',
    [`${P}node_availability`]: n.Spec?.Availability ?? '',
    [`${P}node_hostname`]: n.Description?.Hostname ?? '',
    [`${P}node_platform_architecture`]: n.Description?.Platform?.Architecture ?? '',
    [`${P}node_platform_os`]: n.Description?.Platform?.OS ?? '',
    [`${P}node_status`]: n.Status?.State ?? '',
    ...prefixed(`${P}node_label_`, n.Spec?.Labels),
  };
}

export function nodeTargets(nodes: Node[], port: number): LabelSet[] {
  return nodes.map((n) => ({
    ...nodeCommon(n),
    [`${P}node_engine_version`]: n.Description?.Engine?.EngineVersion ?? '',
    ...(n.ManagerStatus
      ? {
          [`${P}node_manager_leader`]: String(n.ManagerStatus.Leader ?? false),
          [`${P}node_manager_reachability`]: n.ManagerStatus.Reachability ?? '',
          [`${P}node_manager_address`]: n.ManagerStatus.Addr ?? '',
        }
      : {}),
    __address__: hostPort(n.Status?.Addr ?? '', port),
  }));
}

function serviceMode(s: Service): string {
  if (s.Spec?.Mode?.Global) return 'global';
  if (s.Spec?.Mode?.Replicated) return 'replicated';
  return '';
}

function networkLabels(networks: Network[]): Map<string, LabelSet> {
  return new Map(
    networks.map((n) => [
      n.Id ?? '',
      {
        [`${P}network_id`]: n.Id ?? '',
        [`${P}network_name`]: n.Name ?? '',
        [`${P}network_scope`]: n.Scope ?? '',
        [`${P}network_internal`]: String(n.Internal ?? false),
        [`${P}network_ingress`]: String(n.Ingress ?? false),
        ...prefixed(`${P}network_label_`, n.Labels),
      },
    ]),
  );
}

/** The labels every target of a service carries (refreshServices' common labels). */
export function serviceCommon(s: Service): LabelSet {
  const c = s.Spec?.TaskTemplate?.ContainerSpec;
  return {
    [`${P}service_id`]: s.ID ?? '',
    [`${P}service_name`]: s.Spec?.Name ?? '',
    [`${P}service_task_container_hostname`]: c?.Hostname ?? '',
    [`${P}service_task_container_image`]: c?.Image ?? '',
    [`${P}service_mode`]: serviceMode(s),
    ...(s.UpdateStatus ? { [`${P}service_updating_status`]: s.UpdateStatus.State ?? '' } : {}),
    ...prefixed(`${P}service_label_`, s.Spec?.Labels),
  };
}

export function serviceTargets(services: Service[], networks: Network[], port: number): LabelSet[] {
  const nets = networkLabels(networks);
  const out: LabelSet[] = [];
  for (const s of services) {
    for (const vip of s.Endpoint?.VirtualIPs ?? []) {
      const ip = (vip.Addr ?? '').split('/')[0]!;
      const common = { ...serviceCommon(s), ...nets.get(vip.NetworkID ?? '') };
      const tcp = (s.Endpoint?.Ports ?? []).filter((p) => (p.Protocol ?? 'tcp') === 'tcp');
      if (tcp.length === 0) out.push({ ...common, __address__: hostPort(ip, port) });
      for (const p of tcp) {
        out.push({
          ...common,
          [`${P}service_endpoint_port_name`]: p.Name ?? '',
          [`${P}service_endpoint_port_publish_mode`]: p.PublishMode ?? '',
          __address__: hostPort(ip, p.PublishedPort ?? 0),
        });
      }
    }
  }
  return out;
}

/**
 * The labels a task target gets, before any port/network fan-out: what refreshTasks builds
 * for every listed task. Returned per task so a spec can check them even though Shoal's
 * tasks produce no target yet (see taskTargets).
 */
export function taskCommon(t: Task, services: Service[], nodes: Node[]): LabelSet {
  const s = services.find((x) => x.ID === t.ServiceID);
  const n = nodes.find((x) => x.ID === t.NodeID);
  return {
    [`${P}task_id`]: t.ID ?? '',
    [`${P}task_desired_state`]: t.DesiredState ?? '',
    [`${P}task_state`]: t.Status?.State ?? '',
    [`${P}task_slot`]: String(t.Slot ?? 0),
    ...(t.Status?.ContainerStatus
      ? { [`${P}task_container_id`]: t.Status.ContainerStatus.ContainerID ?? '' }
      : {}),
    ...prefixed(`${P}container_label_`, t.Spec?.ContainerSpec?.Labels),
    ...(s
      ? {
          [`${P}service_id`]: s.ID ?? '',
          [`${P}service_name`]: s.Spec?.Name ?? '',
          [`${P}service_mode`]: serviceMode(s),
          ...prefixed(`${P}service_label_`, s.Spec?.Labels),
        }
      : {}),
    ...(n ? nodeCommon(n) : {}),
  };
}

export function taskTargets(
  tasks: Task[],
  services: Service[],
  nodes: Node[],
  networks: Network[],
  port: number,
): LabelSet[] {
  const nets = networkLabels(networks);
  const out: LabelSet[] = [];
  for (const t of tasks) {
    const common = taskCommon(t, services, nodes);
    for (const p of t.Status?.PortStatus?.Ports ?? []) {
      if ((p.Protocol ?? 'tcp') !== 'tcp') continue;
      out.push({
        ...common,
        [`${P}task_port_publish_mode`]: p.PublishMode ?? '',
        __address__: hostPort(common[`${P}node_address`] ?? '', p.PublishedPort ?? 0),
      });
    }
    const servicePorts = (services.find((s) => s.ID === t.ServiceID)?.Endpoint?.Ports ?? []).filter(
      (p) => (p.Protocol ?? 'tcp') === 'tcp',
    );
    for (const att of t.NetworksAttachments ?? []) {
      for (const cidr of att.Addresses ?? []) {
        const ip = cidr.split('/')[0]!;
        // Swarm's task JSON carries the network as swarm.Network, whose key is `ID`.
        const netId = (att.Network as { ID?: string } | undefined)?.ID ?? '';
        const withNet = { ...common, ...nets.get(netId) };
        if (servicePorts.length === 0) out.push({ ...withNet, __address__: hostPort(ip, port) });
        for (const p of servicePorts) {
          out.push({
            ...withNet,
            [`${P}task_port_publish_mode`]: p.PublishMode ?? '',
            __address__: hostPort(ip, p.PublishedPort ?? 0),
          });
        }
      }
    }
  }
  return out;
}
