/**
 * Rolling updates (issue 7): Shoal against Docker Swarm, both on this machine's one Docker
 * Engine and one image:
 *
 *   npm run bench:rolling-update -- [--runs 5] [--replicas 20] [--parallelism 2] [--delay 0]
 *        [--monitor 1000] [--sample 100] [--poll 50] [--health-interval 1000]
 *        [--command "httpd -f -p 8080"] [--image REF] [--no-start-first]
 *
 * - Shoal: one shoald (`--executor docker`, a one-node swarm on a free loopback port), driven
 *   through its API on its unix socket. Swarm: the engine's own swarm (bench/api/docker.peer:
 *   `docker swarm init` on 127.0.0.1 when inactive, left again at the end; a swarm that was
 *   already there is used and left alone).
 * - Per round and system, two services, each made fresh and removed afterwards (untimed):
 *   1. stop-first (Swarm's default order), no healthcheck: create --replicas, wait until all
 *      run, then `POST /services/{id}/update` changing one env variable, with Parallelism,
 *      Delay and Monitor as given. Timed from the request until UpdateStatus.State is
 *      `completed` and --replicas tasks run the new spec (GET /services/{id} and GET /tasks,
 *      every --poll ms). This is the headline figure, Shoal/Swarm.
 *   2. start-first, with a healthcheck (`/bin/busybox true` every --health-interval ms), the
 *      same update. Timed the same way.
 *   Both updates are sampled every --sample ms: the engine's running (and healthy, for 2.)
 *   containers of the service (GET /containers/json, label com.docker.swarm.service.id) and
 *   the API's tasks desired running and running. The stop-first samples are the control:
 *   they must show the dip (replicas − parallelism) the start-first ones must not.
 * - The same spec for both systems byte for byte (rolling-update.ts rollingSpec): busybox:local
 *   by image ID, `Init: true` (stops are quick), RestartPolicy any, FailureAction pause,
 *   MaxFailureRatio 0. Rounds alternate which system goes first.
 *
 * Every figure is printed per run, then the medians and Shoal/Swarm; the last line is one
 * JSON object. Whatever happens, the services, containers, shoald and the swarm this run made
 * are removed.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBusyboxImage, DOCKER_SOCKET } from '../../test/support/dockerd';
import { REPO_ROOT, type ShoaldProcess } from '../../test/support/shoald/shoald-process';
import { startDockerPeer, type DockerPeer } from '../api/docker.peer';
import { EngineClient } from '../api/engine.client';
import { startShoalOnDocker } from '../api/shoal-on-docker';
import {
  orderOfRound,
  type SystemName,
  tasksQuery,
  type WorkloadOptions,
} from '../convergence/convergence';
import { describeMachine, formatMachine } from '../raft/machine';
import { type PinnedBuild, pinBuild } from '../swarm/pinned-build';
import { formatMs, formatTable, verdict } from '../swarm/report';
import { now, poll, sleep } from '../timing';
import { type Availability, IntervalSampler, summarizeAvailability } from './availability.sampler';
import {
  availableContainers,
  type ContainerView,
  markerOf,
  orderFigures,
  ratioOf,
  rollingSpec,
  runningWith,
  type SpecTaskView,
  type UpdateOptions,
  type UpdateOrder,
  updateProgress,
  type UpdateRun,
  type UpdateStatusView,
  type HealthOptions,
} from './rolling-update';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    replicas: { type: 'string', default: '20' },
    parallelism: { type: 'string', default: '2' },
    delay: { type: 'string', default: '0' },
    monitor: { type: 'string', default: '1000' },
    sample: { type: 'string', default: '100' },
    poll: { type: 'string', default: '50' },
    'health-interval': { type: 'string', default: '1000' },
    image: { type: 'string' },
    command: { type: 'string', default: 'httpd -f -p 8080' },
    'no-start-first': { type: 'boolean', default: false },
  },
});

type IntArg =
  'runs' | 'replicas' | 'parallelism' | 'delay' | 'monitor' | 'sample' | 'poll' | 'health-interval';

function int(name: IntArg, min: number): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

const RUNS = int('runs', 1);
const REPLICAS = int('replicas', 1);
const UPDATE: UpdateOptions = {
  parallelism: int('parallelism', 1),
  delayMs: int('delay', 0),
  monitorMs: int('monitor', 0),
};
const SAMPLE_MS = int('sample', 10);
const POLL_MS = int('poll', 10);
const HEALTH: HealthOptions = {
  intervalMs: int('health-interval', 1),
  timeoutMs: 2_000,
  retries: 3,
};
const ORDERS: UpdateOrder[] = args['no-start-first']
  ? ['stop-first']
  : ['stop-first', 'start-first'];
/** Per convergence or update; far above either system's figures, only there to end a stuck run. */
const TIMEOUT_MS = 300_000;
const BENCH_LABEL = 'rolling-update';
const RUN_ID = `roll-${process.pid}-${Date.now().toString(36)}`;

const log = (line: string) => console.log(line);

interface System {
  name: SystemName;
  client: EngineClient;
}

let build: PinnedBuild | undefined;
let daemon: ShoaldProcess | undefined;
let shoalClient: EngineClient | undefined;
let shoalNodeId = '';
let peer: DockerPeer | undefined;
/** The engine, for container listings: its own client, so the peer's teardown can close its. */
const engine = new EngineClient(DOCKER_SOCKET);
const interrupt = new AbortController();

process.on('exit', () => {
  daemon?.killSync();
  build?.disposeSync();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) process.exit(130);
    console.error(`\n${signal}: stopping and cleaning up (again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  });
}

/** Containers of the engine for one service (by its swarm label), running or not. */
async function containersOf(serviceId: string, all = true): Promise<ContainerView[]> {
  const filters = encodeURIComponent(
    JSON.stringify({ label: [`com.docker.swarm.service.id=${serviceId}`] }),
  );
  return (await engine.json(
    'GET',
    `/containers/json?all=${all ? 1 : 0}&filters=${filters}`,
    undefined,
    [200],
  )) as ContainerView[];
}

async function tasksOf(sys: System, serviceId: string): Promise<SpecTaskView[]> {
  return (await sys.client.json('GET', tasksQuery(serviceId), undefined, [200])) as SpecTaskView[];
}

async function serviceOf(
  sys: System,
  serviceId: string,
): Promise<{ Version: { Index: number }; UpdateStatus?: UpdateStatusView }> {
  return (await sys.client.json('GET', `/services/${serviceId}`, undefined, [200])) as {
    Version: { Index: number };
    UpdateStatus?: UpdateStatusView;
  };
}

/** Until `replicas` tasks of generation `marker` run and the engine serves as many. */
async function converge(sys: System, id: string, marker: string, healthchecked: boolean) {
  await poll(
    `${sys.name}: ${REPLICAS} tasks running`,
    async () => {
      const tasks = await tasksOf(sys, id);
      if (runningWith(tasks, marker) < REPLICAS) return undefined;
      const live = availableContainers(await containersOf(id, false), healthchecked);
      return live >= REPLICAS ? true : undefined;
    },
    { intervalMs: POLL_MS, timeoutMs: TIMEOUT_MS, signal: interrupt.signal },
  );
}

async function measure(sys: System, order: UpdateOrder, run: number): Promise<UpdateRun> {
  const name = `${RUN_ID}-${sys.name}-${order}-${run}`;
  const health = order === 'start-first' ? HEALTH : undefined;
  const healthchecked = health !== undefined;
  const spec = (generation: number) =>
    rollingSpec(name, REPLICAS, workload, BENCH_LABEL, RUN_ID, {
      generation,
      order,
      update: UPDATE,
      ...(health ? { health } : {}),
    });
  const created = (await sys.client.json('POST', '/services/create', spec(0), [201])) as {
    ID: string;
  };
  const id = created.ID;
  await converge(sys, id, markerOf(0), healthchecked);
  const before = await serviceOf(sys, id);

  const sampler = new IntervalSampler<Availability>(
    async () => {
      const [containers, tasks] = await Promise.all([containersOf(id, false), tasksOf(sys, id)]);
      const api = tasks.filter(
        (t) => t.DesiredState === 'running' && t.Status?.State === 'running',
      ).length;
      return { engine: availableContainers(containers, healthchecked), api };
    },
    SAMPLE_MS,
    { now, sleep },
  );
  const marker = markerOf(1);
  const t0 = now();
  sampler.start();
  let updateMs: number;
  let sampled;
  try {
    await sys.client.json(
      'POST',
      `/services/${id}/update?version=${before.Version.Index}`,
      spec(1),
      [200],
    );
    const progress = await poll(
      `${sys.name}: ${order} update of ${REPLICAS} completed`,
      async () => {
        const [service, tasks] = await Promise.all([serviceOf(sys, id), tasksOf(sys, id)]);
        const p = updateProgress(service.UpdateStatus, tasks, marker, REPLICAS);
        return p.kind === 'waiting' ? undefined : p;
      },
      { intervalMs: POLL_MS, timeoutMs: TIMEOUT_MS, signal: interrupt.signal },
    );
    updateMs = now() - t0;
    if (progress.kind === 'stuck') throw new Error(`${sys.name} ${order}: ${progress.why}`);
  } finally {
    sampled = await sampler.stop();
  }
  // What the API says must be what the engine runs (old containers may still be stopping).
  await poll(
    `${sys.name}: the engine runs exactly ${REPLICAS} containers of ${name}`,
    async () =>
      availableContainers(await containersOf(id, false), healthchecked) === REPLICAS &&
      (await containersOf(id, false)).length === REPLICAS
        ? true
        : undefined,
    { intervalMs: 200, timeoutMs: 30_000, signal: interrupt.signal },
  );
  await sys.client.json('DELETE', `/services/${id}`, undefined, [200]);
  await poll(
    `${sys.name}: the containers of ${name} removed`,
    async () => ((await containersOf(id)).length === 0 ? true : undefined),
    { intervalMs: 200, timeoutMs: TIMEOUT_MS, signal: interrupt.signal },
  );
  const a = summarizeAvailability(sampled.samples, REPLICAS);
  if (sampled.errors > 0) {
    log(
      `  ${sys.name} ${order} run ${run}: ${sampled.errors} samples failed (${sampled.lastError})`,
    );
  }
  return {
    system: sys.name,
    order,
    run,
    updateMs,
    minEngine: a.minEngine,
    minApi: a.minApi,
    samples: a.samples,
    maxGapMs: sampled.maxGapMs,
  };
}

async function startShoal(): Promise<System> {
  // A private copy of dist/: a rebuild meanwhile (vitest's global setup rebuilds it when
  // sources changed) must not hand shoald a half-written build.
  build = await pinBuild({
    distDir: path.join(REPO_ROOT, 'dist'),
    nodeModules: path.join(REPO_ROOT, 'node_modules'),
    packageJson: path.join(REPO_ROOT, 'package.json'),
  });
  log(`shoald: a private copy of dist/ (built ${build.builtAt}) in ${build.dir}`);
  const shoal = await startShoalOnDocker({
    prefix: 'shoal-roll-',
    main: build.shoaldMain,
    signal: interrupt.signal,
    started: (d, client) => {
      daemon = d;
      shoalClient = client;
    },
  });
  shoalNodeId = shoal.nodeId;
  return { name: 'shoal', client: shoal.client };
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
  if (shoalClient) {
    const c = shoalClient;
    await attempt('shoal services removed', async () => {
      const filters = encodeURIComponent(JSON.stringify({ label: [`shoal.bench.run=${RUN_ID}`] }));
      const list = (await c.json('GET', `/services?filters=${filters}`, undefined, [200])) as {
        ID: string;
      }[];
      for (const s of list) await c.json('DELETE', `/services/${s.ID}`, undefined, [200, 404]);
    });
  }
  if (daemon) await attempt('shoald stopped', () => daemon!.dispose());
  if (build) await attempt('build copy removed', () => build!.dispose());
  shoalClient?.close();
  if (shoalNodeId) {
    await attempt('shoal containers removed', async () => {
      const filters = encodeURIComponent(
        JSON.stringify({ label: [`com.docker.swarm.node.id=${shoalNodeId}`] }),
      );
      const list = (await engine.json(
        'GET',
        `/containers/json?all=1&filters=${filters}`,
        undefined,
        [200],
      )) as { Id: string }[];
      for (const c of list) {
        await engine.json('DELETE', `/containers/${c.Id}?force=1`, undefined, [204, 404]);
      }
    });
  }
  if (peer) {
    const notes = await peer.teardown([], RUN_ID);
    done.push(`swarm: ${notes.join(', ')}`);
    // The swarm's tasks go with it; give its agent a moment to remove their containers.
    if (peer.initializedSwarm) await sleep(500);
  }
  engine.close();
  return done;
}

let workload: WorkloadOptions;

async function main(): Promise<void> {
  const orders = ORDERS.join(' and ');
  log(
    `rolling-update: ${RUNS} runs, ${REPLICAS} replicas, ${orders}; parallelism ` +
      `${UPDATE.parallelism}, delay ${UPDATE.delayMs} ms, monitor ${UPDATE.monitorMs} ms; ` +
      `availability sampled every ${SAMPLE_MS} ms`,
  );
  const machineStart = describeMachine();
  log(formatMachine(machineStart));
  log(
    `uptime: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (load 1, 5, 15 min)`,
  );

  const runs: UpdateRun[] = [];
  let error: Error | undefined;
  let cleanup: string[] = [];
  let engineVersion = { version: 'unknown', apiVersion: '' };
  try {
    const p = await startDockerPeer(log, { concurrency: 8 });
    if ('unavailable' in p) throw new Error(`Docker Swarm unavailable: ${p.unavailable}`);
    peer = p;
    log(`swarm:  ${p.describe}`);
    await ensureBusyboxImage();
    engineVersion = await engine.negotiate();
    const image = (await engine.json('GET', '/images/busybox:local/json', undefined, [200])) as {
      Id: string;
    };
    const words = args.command.split(/\s+/);
    workload = { image: args.image ?? image.Id, command: words.slice(0, 1), args: words.slice(1) };
    log(`engine: Docker ${engineVersion.version} (API ${engineVersion.apiVersion})`);
    log(`image:  ${workload.image} (busybox:local); command: ${args.command}; Init: true`);
    log(
      `start-first healthcheck: /bin/busybox true every ${HEALTH.intervalMs} ms, ` +
        `timeout ${HEALTH.timeoutMs} ms, retries ${HEALTH.retries}`,
    );
    const systems: Record<SystemName, System> = {
      shoal: await startShoal(),
      swarm: { name: 'swarm', client: p.client },
    };
    for (let run = 1; run <= RUNS; run++) {
      for (const order of ORDERS) {
        for (const name of orderOfRound(run)) {
          const r = await measure(systems[name], order, run);
          runs.push(r);
          log(
            `run ${run} ${name.padEnd(5)} ${order.padEnd(11)} update: ${formatMs(r.updateMs).padStart(8)}` +
              `  fewest available: ${r.minEngine ?? '–'} (engine), ${r.minApi ?? '–'} (API)` +
              ` of ${REPLICAS} in ${r.samples} samples, largest gap ${formatMs(r.maxGapMs)}`,
          );
        }
      }
    }
  } catch (err) {
    error = err as Error;
    console.error(`rolling-update: ${error.message}`);
    if (daemon?.stderr) console.error(`shoald stderr (tail):\n${daemon.stderr.slice(-2_000)}`);
  } finally {
    cleanup = await teardown();
  }

  const fig = {
    shoal: {
      stopFirst: orderFigures(runs, 'shoal', 'stop-first'),
      startFirst: orderFigures(runs, 'shoal', 'start-first'),
    },
    swarm: {
      stopFirst: orderFigures(runs, 'swarm', 'stop-first'),
      startFirst: orderFigures(runs, 'swarm', 'start-first'),
    },
  };
  const ratio = {
    stopFirst: ratioOf(fig.shoal.stopFirst.updateMedianMs, fig.swarm.stopFirst.updateMedianMs),
    startFirst: ratioOf(fig.shoal.startFirst.updateMedianMs, fig.swarm.startFirst.updateMedianMs),
  };
  const never = (f: { minEngine: number | null; minApi: number | null }) =>
    f.minEngine === null || f.minApi === null ? null : Math.min(f.minEngine, f.minApi) >= REPLICAS;
  const goal = {
    /** Shoal's stop-first update no slower than Swarm's. */
    time: ratio.stopFirst === null ? null : ratio.stopFirst <= 1,
    /** Shoal's start-first update never below the desired count, in either view. */
    availability: args['no-start-first'] ? null : never(fig.shoal.startFirst),
  };
  const loadEnd = os.loadavg();

  log('');
  log(
    formatTable(
      ['', 'Shoal', 'Swarm', 'Shoal / Swarm'],
      [
        [
          `stop-first update, median`,
          formatMs(fig.shoal.stopFirst.updateMedianMs),
          formatMs(fig.swarm.stopFirst.updateMedianMs),
          String(ratio.stopFirst ?? '–'),
        ],
        [
          `start-first update, median`,
          formatMs(fig.shoal.startFirst.updateMedianMs),
          formatMs(fig.swarm.startFirst.updateMedianMs),
          String(ratio.startFirst ?? '–'),
        ],
        [
          `stop-first fewest available (engine/API)`,
          `${fig.shoal.stopFirst.minEngine ?? '–'}/${fig.shoal.stopFirst.minApi ?? '–'} of ${REPLICAS}`,
          `${fig.swarm.stopFirst.minEngine ?? '–'}/${fig.swarm.stopFirst.minApi ?? '–'} of ${REPLICAS}`,
          '',
        ],
        [
          `start-first fewest available (engine/API)`,
          `${fig.shoal.startFirst.minEngine ?? '–'}/${fig.shoal.startFirst.minApi ?? '–'} of ${REPLICAS}`,
          `${fig.swarm.startFirst.minEngine ?? '–'}/${fig.swarm.startFirst.minApi ?? '–'} of ${REPLICAS}`,
          '',
        ],
      ],
    ),
  );
  log(`cleanup: ${cleanup.join('; ')}`);
  log(`load at the end: ${loadEnd.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min)`);
  log(`goal (Shoal's update no slower than Swarm's): ${verdict(goal.time)}`);
  log(
    `goal (start-first never below ${REPLICAS} running and healthy): ${verdict(goal.availability)}`,
  );
  log(
    JSON.stringify({
      bench: 'rolling-update',
      runs: RUNS,
      replicas: REPLICAS,
      parallelism: UPDATE.parallelism,
      delayMs: UPDATE.delayMs,
      monitorMs: UPDATE.monitorMs,
      sampleMs: SAMPLE_MS,
      pollMs: POLL_MS,
      healthIntervalMs: HEALTH.intervalMs,
      engine: engineVersion.version,
      image: workload?.image ?? null,
      command: args.command,
      machine: {
        cpus: machineStart.availableParallelism,
        cpuModel: machineStart.cpuModel,
        memoryGiB: Math.round((machineStart.memoryBytes / 2 ** 30) * 10) / 10,
        kernel: machineStart.kernel,
        node: machineStart.node,
        load1mStart: Math.round(machineStart.loadAverage1m * 100) / 100,
        load1mEnd: Math.round(loadEnd[0]! * 100) / 100,
      },
      shoal: fig.shoal,
      swarm: fig.swarm,
      ratio,
      goalMet: goal,
      ...(error ? { error: error.message } : {}),
    }),
  );
  if (error) process.exitCode = 1;
}

void main();
