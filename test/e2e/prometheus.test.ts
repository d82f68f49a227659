/**
 * The cluster as a real Prometheus (Debian's 2.42) sees it: three shoald nodes on distinct
 * loopback addresses, each serving /metrics on the same port (the dockerswarm `nodes` role
 * scrapes <node address>:<one port>), the manager with the read-only TCP API that both
 * discovery methods read, and a service labelled prometheus.io/scrape=true.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../support/free-port';
import { PrometheusProcess, type PromTarget } from '../support/prometheus/prometheus-process';
import { requirePrometheus } from '../support/prometheus/prometheus-bin';
import { running, settle, type ServiceView, type TaskView } from '../support/shoald/local-swarm';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

const SCRAPE_MS = 1000;
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

let nodes: ShoaldProcess[] = [];
let prom: PrometheusProcess | undefined;
let metricsPort: number;
let apiPort: number;
let taskPort: number;

const manager = () => nodes[0]!;
const api = (method: string, p: string, body?: unknown, d = manager()) =>
  unixRequest(d.socket, method, `/v1.44${p}`, body);

/**
 * The task: an HTTP server on its node's address. Tasks of the process executor run in a
 * directory under their node's state dir, and each node's dir is named after its address,
 * which is how three replicas on one host each find their own.
 */
const TASK_SCRIPT = `
const m = /shoal-prom-(127\\.0\\.0\\.\\d+)-/.exec(process.cwd());
if (!m) { console.error('no node address in ' + process.cwd()); process.exit(1); }
require('http')
  .createServer((_q, s) => s.end('# TYPE demo_up gauge\\ndemo_up 1\\n'))
  .listen(Number(process.env.PORT), m[1]);
`;

function prometheusConfig(): string {
  const host = `http://127.0.0.1:${apiPort}`;
  const swarm = (job: string, role: string, extra = '') => `
  - job_name: ${job}
    dockerswarm_sd_configs:
      - host: ${host}
        role: ${role}
        refresh_interval: 1s${extra}`;
  return `
global:
  scrape_interval: ${SCRAPE_MS / 1000}s
  scrape_timeout: ${SCRAPE_MS / 1000}s
  evaluation_interval: ${SCRAPE_MS / 1000}s
scrape_configs:${swarm('swarm-nodes', 'nodes', `\n        port: ${metricsPort}`)}
    relabel_configs:
      - source_labels: [__meta_dockerswarm_node_id]
        target_label: swarm_node_id
${swarm('swarm-tasks', 'tasks', `\n        filters:\n          - name: desired-state\n            values: [running]`)}
    relabel_configs:
      - source_labels: [__meta_dockerswarm_service_label_prometheus_io_scrape]
        regex: "true"
        action: keep
${swarm('swarm-services', 'services')}
  - job_name: http-sd
    http_sd_configs:
      - url: ${host}/metrics/targets
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_shoal_target]
        target_label: target_kind
      - source_labels: [__meta_shoal_node_id]
        target_label: swarm_node_id
      - source_labels: [__meta_shoal_task_id]
        target_label: task_id
`;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await settle(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

async function runningTasks(serviceId: string): Promise<TaskView[]> {
  const filters = encodeURIComponent(JSON.stringify({ service: [serviceId] }));
  return running((await api('GET', `/tasks?filters=${filters}`)).json as TaskView[]);
}

async function scale(serviceId: string, replicas: number): Promise<void> {
  const current = (await api('GET', `/services/${serviceId}`)).json as ServiceView;
  const spec = structuredClone(current.Spec);
  spec['Mode'] = { Replicated: { Replicas: replicas } };
  const r = await api(
    'POST',
    `/services/${serviceId}/update?version=${current.Version.Index}`,
    spec,
  );
  expect(r.status, r.text).toBe(200);
}

/** The leader's shoal_service_replicas_running for the service, as Prometheus has it. */
async function promRunning(serviceId: string): Promise<number | undefined> {
  const r = await prom!.query(
    `shoal_service_replicas_running{job="swarm-nodes",service_id="${serviceId}"}`,
  );
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
}

let serviceId: string;

beforeAll(async () => {
  requirePrometheus();
  [metricsPort, apiPort, taskPort] = await freePorts(3);
  const clusterPorts = await freePorts(3);
  nodes = await Promise.all(
    HOSTS.map(async (host, i) => {
      const dir = await mkdtemp(path.join(tmpdir(), `shoal-prom-${host}-`));
      return new ShoaldProcess(
        {
          stateDir: path.join(dir, 'state'),
          socket: path.join(dir, 'shoal.sock'),
          listenAddr: `${host}:${clusterPorts[i]}`,
          extraArgs: [
            '--advertise-addr',
            host,
            '--metrics-addr',
            `${host}:${metricsPort}`,
            ...(i === 0 ? ['--api-readonly-addr', `127.0.0.1:${apiPort}`] : []),
          ],
        },
        dir,
      );
    }),
  );
  await Promise.all(nodes.map((n) => n.start()));
  const init = await api('POST', '/swarm/init', {
    ListenAddr: manager().o.listenAddr,
    AdvertiseAddr: manager().o.listenAddr,
  });
  expect(init.status, init.text).toBe(200);
  const token = ((await api('GET', '/swarm')).json as { JoinTokens: { Worker: string } }).JoinTokens
    .Worker;
  for (const w of nodes.slice(1)) {
    const r = await api(
      'POST',
      '/swarm/join',
      {
        ListenAddr: w.o.listenAddr,
        AdvertiseAddr: w.o.listenAddr,
        RemoteAddrs: [manager().o.listenAddr],
        JoinToken: token,
      },
      w,
    );
    expect(r.status, r.text).toBe(200);
  }
  await waitFor('3 ready nodes', async () => {
    const list = (await api('GET', '/nodes')).json as { Status: { State: string } }[];
    return list.filter((n) => n.Status.State === 'ready').length === 3 ? true : undefined;
  });

  const created = await api('POST', '/services/create', {
    Name: 'scraped',
    Labels: {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(taskPort),
      'prometheus.io/path': '/metrics',
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox:local',
        Command: [process.execPath, '-e', TASK_SCRIPT],
        Env: [`PORT=${taskPort}`],
      },
      RestartPolicy: { Condition: 'any', Delay: 0 },
    },
    Mode: { Replicated: { Replicas: 3 } },
  });
  expect(created.status, created.text).toBe(201);
  serviceId = (created.json as { ID: string }).ID;
  await waitFor('3 running replicas', async () =>
    (await runningTasks(serviceId)).length === 3 ? true : undefined,
  );

  prom = await PrometheusProcess.start(prometheusConfig());
}, 120_000);

afterAll(async () => {
  await prom?.dispose();
  await Promise.all(nodes.map((n) => n.dispose()));
});

describe('Prometheus discovers and scrapes a Shoal cluster', () => {
  it('finds every node through dockerswarm_sd_configs and scrapes it (up == 1)', async () => {
    const targets = await waitFor('3 healthy swarm-nodes targets', async () => {
      const t = (await prom!.activeTargets()).filter((x) => x.scrapePool === 'swarm-nodes');
      return t.length === 3 && t.every((x) => x.health === 'up') ? t : undefined;
    });
    expect(targets.map((t) => t.labels['instance']).sort()).toEqual(
      HOSTS.map((h) => `${h}:${metricsPort}`),
    );
    const roles = targets.map((t) => t.discoveredLabels['__meta_dockerswarm_node_role']).sort();
    expect(roles).toEqual(['manager', 'worker', 'worker']);
    const up = await prom!.query('up{job="swarm-nodes"}');
    expect(up.map((s) => s.value[1])).toEqual(['1', '1', '1']);
    // Each address reached the node discovery said it would: the node's own shoal_node_info
    // names the same ID as the discovered target.
    const info = await waitFor('shoal_node_info from all three nodes', async () => {
      const r = await prom!.query('shoal_node_info{job="swarm-nodes"}');
      return r.length === 3 ? r : undefined;
    });
    for (const s of info) expect(s.metric['node_id']).toBe(s.metric['swarm_node_id']);
    expect(new Set(info.map((s) => s.metric['node_id'])).size).toBe(3);
  }, 60_000);

  it('finds every node and every labelled running task through http_sd (/metrics/targets)', async () => {
    const isNode = (t: PromTarget) => t.labels['target_kind'] === 'node';
    const targets = await waitFor('http_sd node and task targets, all up', async () => {
      const t = (await prom!.activeTargets()).filter((x) => x.scrapePool === 'http-sd');
      return t.filter(isNode).length === 3 &&
        t.filter((x) => !isNode(x)).length === 3 &&
        t.every((x) => x.health === 'up')
        ? t
        : undefined;
    });
    expect(
      targets
        .filter(isNode)
        .map((t) => t.labels['instance'])
        .sort(),
    ).toEqual(HOSTS.map((h) => `${h}:${metricsPort}`));
    const taskIds = (await runningTasks(serviceId)).map((t) => t.ID).sort();
    const tasks = targets.filter((t) => !isNode(t));
    expect(tasks.map((t) => t.labels['task_id']).sort()).toEqual(taskIds);
    for (const t of tasks) {
      expect(t.scrapeUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.[123]:${taskPort}/metrics$`));
      expect(t.discoveredLabels['__meta_shoal_service_id']).toBe(serviceId);
    }
    const up = await prom!.query('up{job="http-sd",target_kind="node"}');
    expect(up.map((s) => s.value[1])).toEqual(['1', '1', '1']);
  }, 60_000);

  it('reads the API for the tasks and services roles without a discovery failure', async () => {
    // Shoal's tasks have no published ports or overlay attachments yet, and services no
    // virtual IPs, so these roles yield no targets; what matters is that every call they
    // make (/tasks, /services, /nodes, /networks) succeeds.
    const text = await waitFor('several dockerswarm refreshes', async () => {
      const t = await prom!.selfMetrics();
      const m =
        /prometheus_sd_refresh_duration_seconds_count\{mechanism="dockerswarm"\} (\d+)/.exec(t);
      return m && Number(m[1]) >= 9 ? t : undefined;
    });
    expect(text).toMatch(/prometheus_sd_refresh_failures_total\{mechanism="dockerswarm"\} 0\n/);
    expect(text).toMatch(/prometheus_sd_http_failures_total 0\n/);
  }, 60_000);

  it("has the API's running replica count, and follows a scale within two scrape intervals", async () => {
    await waitFor('the replica count in Prometheus', async () =>
      (await promRunning(serviceId)) === 3 ? true : undefined,
    );
    expect(await promRunning(serviceId)).toBe((await runningTasks(serviceId)).length);

    await scale(serviceId, 1);
    const apiSeen = await waitFor(
      'the API to show 1 running replica',
      async () => ((await runningTasks(serviceId)).length === 1 ? Date.now() : undefined),
      30_000,
      20,
    );
    const promSeen = await waitFor(
      'Prometheus to show 1 running replica',
      async () => ((await promRunning(serviceId)) === 1 ? Date.now() : undefined),
      10 * SCRAPE_MS,
      20,
    );
    const lagMs = promSeen - apiSeen;
    console.log(
      `scale 3→1: Prometheus followed the API after ${lagMs} ms (scrape interval ${SCRAPE_MS} ms)`,
    );
    expect(lagMs).toBeLessThanOrEqual(2 * SCRAPE_MS);
  }, 90_000);
});
