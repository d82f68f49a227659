/**
 * Convergence: how long a service takes to be running, Shoal against Docker Swarm, both on
 * this machine's one Docker Engine:
 *
 *   npm run bench:convergence -- [--runs 5] [--replicas 20] [--scale-to 50] [--poll 50]
 *                                [--image REF] [--command "httpd -f -p 8080"] [--profile]
 *
 * - Shoal: one shoald (`--executor docker`, a one-node swarm, its cluster port a free
 *   loopback port, so never Swarm's 2377), driven through its API on its unix socket.
 * - Swarm: `docker swarm init` on the same engine (left again at the end, unless a swarm was
 *   already there), driven through the engine's API on /var/run/docker.sock.
 * - Each run: `POST /services/create` with --replicas, timed until GET /tasks shows that many
 *   tasks desired running and running; then `POST /services/{id}/update` to --scale-to, timed
 *   the same way. The service is then removed and its containers waited for (not timed), so
 *   every run starts from an empty engine. Rounds alternate which system goes first.
 * - Both get the same spec byte for byte (convergence.ts serviceSpec): busybox:local by its
 *   image ID, `Init: true` so stops are quick, RestartPolicy any. By ID because Swarm's agent
 *   otherwise tries a registry pull of every task's image first, which on a machine without
 *   a registry only adds a failed DNS lookup to Swarm's side.
 *
 * Every figure is printed per run, then the medians and Shoal/Swarm; the last line is one
 * JSON object. Whatever happens, the services, containers, shoald and the swarm this run made
 * are removed.
 */
import { parseArgs } from 'node:util';
import { ensureBusyboxImage, ensureDockerd, DOCKER_SOCKET } from '../../test/support/dockerd';
import { type ShoaldProcess } from '../../test/support/shoald/shoald-process';
import { EngineClient } from '../api/engine.client';
import { startShoalOnDocker } from '../api/shoal-on-docker';
import { describeMachine, formatMachine } from '../raft/machine';
import { formatMs, formatTable } from '../swarm/report';
import { now, poll, sleep } from '../timing';
import {
  type ContainerTimes,
  failedTasks,
  figures,
  orderOfRound,
  phaseBreakdown,
  type RunResult,
  runningCount,
  serviceSpec,
  type SystemName,
  tasksQuery,
  type TaskView,
  type WorkloadOptions,
} from './convergence';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    replicas: { type: 'string', default: '20' },
    'scale-to': { type: 'string', default: '50' },
    poll: { type: 'string', default: '50' },
    image: { type: 'string' },
    command: { type: 'string', default: 'httpd -f -p 8080' },
    profile: { type: 'boolean', default: false },
  },
});

function int(name: 'runs' | 'replicas' | 'scale-to' | 'poll', min: number): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

const RUNS = int('runs', 1);
const REPLICAS = int('replicas', 1);
const SCALE_TO = int('scale-to', REPLICAS + 1);
const POLL_MS = int('poll', 10);
/** Per convergence; far above either system's figures, only there to end a stuck run. */
const CONVERGE_TIMEOUT_MS = 180_000;
const RUN_ID = `conv-${process.pid}-${Date.now().toString(36)}`;
const SWARM_LISTEN = '127.0.0.1:2377';

const log = (line: string) => console.log(line);

interface System {
  name: SystemName;
  client: EngineClient;
}

let daemon: ShoaldProcess | undefined;
let shoalNodeId = '';
let swarmInitialized = false;
const engine = new EngineClient(DOCKER_SOCKET);
const clients: EngineClient[] = [engine];
const interrupt = new AbortController();

process.on('exit', () => daemon?.killSync());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) process.exit(130);
    console.error(`\n${signal}: stopping and cleaning up (again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  });
}

/** Containers of the engine carrying `label` (k=v), running or not. */
async function containersWith(label: string, runningOnly = false): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const list = (await engine.json(
    'GET',
    `/containers/json?all=${runningOnly ? 0 : 1}&filters=${filters}`,
    undefined,
    [200],
  )) as { Id: string }[];
  return list.map((c) => c.Id);
}

async function tasksOf(sys: System, serviceId: string): Promise<TaskView[]> {
  return (await sys.client.json('GET', tasksQuery(serviceId), undefined, [200])) as TaskView[];
}

/** Polls GET /tasks until `want` tasks run; fails early when a task fails outright. */
async function converge(sys: System, serviceId: string, want: number): Promise<void> {
  await poll(
    `${sys.name}: ${want} tasks running`,
    async () => {
      const tasks = await tasksOf(sys, serviceId);
      const failed = failedTasks(tasks);
      if (failed.length > 0) {
        throw new Error(
          `task ${failed[0]!.ID} ${failed[0]!.Status?.State}: ${failed[0]!.Status?.Err}`,
        );
      }
      return runningCount(tasks) >= want ? true : undefined;
    },
    { intervalMs: POLL_MS, timeoutMs: CONVERGE_TIMEOUT_MS, signal: interrupt.signal },
  );
}

/** --profile: the engine's view of a phase (see phaseBreakdown). */
async function profile(sys: System, phase: string, label: string, sinceWallMs: number) {
  const times: ContainerTimes[] = [];
  for (const id of await containersWith(label)) {
    const c = (await engine.json('GET', `/containers/${id}/json`, undefined, [200])) as {
      Created: string;
      State?: { StartedAt?: string };
    };
    times.push({ Created: c.Created, StartedAt: c.State?.StartedAt });
  }
  const p = phaseBreakdown(sinceWallMs, times);
  log(
    `  ${sys.name} ${phase}: ${p.containers} containers; first created ${formatMs(p.firstCreatedMs)}, ` +
      `last created ${formatMs(p.lastCreatedMs)}, last started ${formatMs(p.lastStartedMs)}`,
  );
}

async function measure(sys: System, run: number, workload: WorkloadOptions): Promise<RunResult> {
  const name = `${RUN_ID}-${sys.name}-${run}`;
  const wall0 = Date.now();
  const t0 = now();
  const created = (await sys.client.json(
    'POST',
    '/services/create',
    serviceSpec(name, REPLICAS, workload, RUN_ID),
    [201],
  )) as { ID: string };
  await converge(sys, created.ID, REPLICAS);
  const createMs = now() - t0;
  const label = `com.docker.swarm.service.id=${created.ID}`;
  if (args.profile) await profile(sys, 'create', label, wall0);

  const service = (await sys.client.json('GET', `/services/${created.ID}`, undefined, [200])) as {
    Version: { Index: number };
  };
  const wall1 = Date.now();
  const t1 = now();
  await sys.client.json(
    'POST',
    `/services/${created.ID}/update?version=${service.Version.Index}`,
    serviceSpec(name, SCALE_TO, workload, RUN_ID),
    [200],
  );
  await converge(sys, created.ID, SCALE_TO);
  const scaleMs = now() - t1;
  if (args.profile) await profile(sys, 'scale', label, wall1);

  // What the API says must be what the engine runs.
  const live = (await containersWith(label, true)).length;
  if (live !== SCALE_TO) {
    throw new Error(`${sys.name}: ${SCALE_TO} tasks report running, the engine runs ${live}`);
  }
  await sys.client.json('DELETE', `/services/${created.ID}`, undefined, [200]);
  await poll(
    `${sys.name}: the containers of ${name} removed`,
    async () => ((await containersWith(label)).length === 0 ? true : undefined),
    { intervalMs: 200, timeoutMs: CONVERGE_TIMEOUT_MS, signal: interrupt.signal },
  );
  return { system: sys.name, run, createMs, scaleMs };
}

async function startShoal(): Promise<System> {
  const shoal = await startShoalOnDocker({
    prefix: 'shoal-conv-',
    signal: interrupt.signal,
    started: (d, client) => {
      daemon = d;
      clients.push(client);
    },
  });
  shoalNodeId = shoal.nodeId;
  return { name: 'shoal', client: shoal.client };
}

async function startSwarm(): Promise<System> {
  const info = (await engine.json('GET', '/info', undefined, [200])) as {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
  };
  const state = info.Swarm?.LocalNodeState;
  if (state === 'inactive') {
    await engine.json(
      'POST',
      '/swarm/init',
      { ListenAddr: SWARM_LISTEN, AdvertiseAddr: '127.0.0.1' },
      [200],
    );
    swarmInitialized = true;
  } else if (state !== 'active' || !info.Swarm?.ControlAvailable) {
    throw new Error(`the engine's swarm is ${state}, not an active manager: cannot use it`);
  }
  return { name: 'swarm', client: engine };
}

async function imageId(ref: string): Promise<string> {
  const image = (await engine.json(
    'GET',
    `/images/${encodeURIComponent(ref)}/json`,
    undefined,
    [200],
  )) as { Id: string };
  return image.Id;
}

async function teardown(): Promise<string[]> {
  const done: string[] = [];
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      done.push(what);
    } catch (err) {
      done.push(`${what} FAILED: ${(err as Error).message}`);
    }
  };
  const ours = async (client: EngineClient) => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`shoal.bench=${RUN_ID}`] }));
    const list = (await client.json('GET', `/services?filters=${filters}`, undefined, [200])) as {
      ID: string;
    }[];
    for (const s of list) await client.json('DELETE', `/services/${s.ID}`, undefined, [200, 404]);
    return list.length;
  };
  const shoalClient = clients[1];
  if (shoalClient) await attempt('shoal services removed', () => ours(shoalClient));
  if (swarmInitialized) await attempt('swarm services removed', () => ours(engine));
  if (daemon) await attempt('shoald stopped', () => daemon!.dispose());
  if (shoalNodeId) {
    await attempt('shoal containers removed', async () => {
      for (const id of await containersWith(`com.docker.swarm.node.id=${shoalNodeId}`)) {
        await engine.json('DELETE', `/containers/${id}?force=1`, undefined, [204, 404]);
      }
    });
  }
  if (swarmInitialized) {
    await attempt('swarm left', async () => {
      // The swarm's tasks go with it; give its agent a moment to remove their containers.
      await engine.json('POST', '/swarm/leave?force=1', undefined, [200, 503]);
      await sleep(500);
    });
  }
  for (const c of clients) c.close();
  return done;
}

async function main(): Promise<void> {
  log(`convergence: ${RUNS} runs, create ${REPLICAS} replicas then scale to ${SCALE_TO}`);
  log(formatMachine(describeMachine()));
  await ensureDockerd();
  await ensureBusyboxImage();
  const engineVersion = await engine.negotiate();
  const workload: WorkloadOptions = {
    image: args.image ?? (await imageId('busybox:local')),
    command: args.command.split(/\s+/).slice(0, 1),
    args: args.command.split(/\s+/).slice(1),
  };
  log(`engine: Docker ${engineVersion.version} (API ${engineVersion.apiVersion})`);
  log(`image:  ${workload.image} (busybox:local); command: ${args.command}; Init: true`);

  const results: RunResult[] = [];
  let error: Error | undefined;
  let cleanup: string[] = [];
  try {
    const systems: Record<SystemName, System> = {
      shoal: await startShoal(),
      swarm: await startSwarm(),
    };
    for (let run = 1; run <= RUNS; run++) {
      for (const name of orderOfRound(run)) {
        const r = await measure(systems[name], run, workload);
        results.push(r);
        log(
          `run ${run} ${name.padEnd(5)}  create→${REPLICAS}: ${formatMs(r.createMs).padStart(8)}` +
            `  scale→${SCALE_TO}: ${formatMs(r.scaleMs).padStart(8)}`,
        );
      }
    }
  } catch (err) {
    error = err as Error;
    console.error(`convergence: ${error.message}`);
    if (daemon?.stderr) console.error(`shoald stderr (tail):\n${daemon.stderr.slice(-2_000)}`);
  } finally {
    cleanup = await teardown();
  }

  const f = figures(results);
  log('');
  log(
    formatTable(
      ['', `create → ${REPLICAS} running`, `scale ${REPLICAS} → ${SCALE_TO} running`],
      [
        ['Shoal (median)', formatMs(f.shoal.createMedianMs), formatMs(f.shoal.scaleMedianMs)],
        ['Swarm (median)', formatMs(f.swarm.createMedianMs), formatMs(f.swarm.scaleMedianMs)],
        ['Shoal / Swarm', String(f.ratio.create ?? '–'), String(f.ratio.scale ?? '–')],
      ],
    ),
  );
  log(`cleanup: ${cleanup.join('; ')}`);
  const goalMet =
    f.ratio.create !== null && f.ratio.scale !== null && f.ratio.create <= 1 && f.ratio.scale <= 1;
  log(`goal (Shoal at or below Swarm on both): ${goalMet ? 'met' : 'NOT met'}`);
  log(
    JSON.stringify({
      bench: 'convergence',
      runs: RUNS,
      replicas: REPLICAS,
      scaleTo: SCALE_TO,
      pollMs: POLL_MS,
      engine: engineVersion.version,
      image: workload.image,
      command: args.command,
      shoal: f.shoal,
      swarm: f.swarm,
      ratio: f.ratio,
      goalMet,
      ...(error ? { error: error.message } : {}),
    }),
  );
  if (error) process.exitCode = 1;
}

void main();
