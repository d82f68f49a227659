/**
 * Control-API latency and manager memory: Shoal (one shoald, swarm initialized) against Docker
 * Swarm (this machine's dockerd, one manager), measured in the same run, with the same client
 * code and the same request bodies over each one's unix socket.
 *
 *   npm run bench:api -- [--rounds 3] [--creates 1000] [--inspects 2000] [--concurrency 16]
 *                        [--services 10000] [--checkpoints 2000,5000] [--fill-budget 300]
 *                        [--settle 2] [--no-docker]
 *
 * Per system (see scenario.ts for the order): RSS at 0 services; warm-up; sequential
 * `POST /services/create` (replicas 0) and `GET /services/{id}` latency; a fill to
 * --services with --concurrency clients (create throughput), reading the server's VmRSS at
 * checkpoints. Rounds alternate shoal and docker, each on a fresh server (a fresh shoald; a
 * fresh dockerd too if this run had to start it), and every figure is the median over the
 * rounds. Memory is compared at the largest service count both reached. The last line of
 * output is one JSON object.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { describeMachine, filesystemOf, formatMachine } from '../raft/machine';
import { round } from '../raft/stats';
import { type DockerPeer, startDockerPeer } from './docker.peer';
import { EngineClient, type EngineVersion } from './engine.client';
import { readProcCpuMs, readProcMemory } from './proc';
import {
  commonTarget,
  formatComparison,
  medianResult,
  perRoundJson,
  ratiosJson,
  rssAt,
  systemJson,
} from './report';
import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario';
import { ShoaldProcess } from '../../test/support/shoald/shoald-process';
import { newRunId } from './workload';

const { values: args } = parseArgs({
  options: {
    creates: { type: 'string', default: '1000' },
    inspects: { type: 'string', default: '2000' },
    'warmup-creates': { type: 'string', default: '100' },
    'warmup-inspects': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    services: { type: 'string', default: '10000' },
    checkpoints: { type: 'string', default: '2000,5000' },
    'fill-budget': { type: 'string', default: '300' },
    settle: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    'no-docker': { type: 'boolean', default: false },
  },
});

function int(name: keyof typeof args, min: number): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

const log = (line: string) => console.log(line);

/** Cleanups still owed, run in reverse on normal exit, on errors and on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
/** One pass at a time: a second caller waits for the pass under way instead of skipping it. */
function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        console.error(`cleanup failed: ${(err as Error).message}`);
      }
    }
  })().finally(() => {
    cleaning = undefined;
  });
  return cleaning;
}

/** Stops the scenario from issuing requests once the run is interrupted. */
const interrupt = new AbortController();
/** A server being started: an interrupt waits for it so that its cleanup gets registered. */
let starting: Promise<unknown> = Promise.resolve();
let interruptedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx relays the terminal's SIGINT to this process, which so often gets one Ctrl-C twice:
    // only a repeat after a pause means "exit now".
    if (interruptedAt) {
      if (Date.now() - interruptedAt > 3_000) process.exit(130);
      return;
    }
    interruptedAt = Date.now();
    console.error(`\n${signal}: stopping and cleaning up (again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
    // In-flight requests finish first (those created by them are found by the run label).
    void sleep(500)
      .then(() => starting)
      .catch(() => undefined)
      .then(runCleanups)
      .finally(() => process.exit(130));
  });
}

async function measureShoal(opts: ScenarioOptions) {
  interrupt.signal.throwIfAborted();
  const server = await ShoaldProcess.inTempDir('shoal-api-bench-');
  const start = server.start();
  starting = start;
  cleanups.push(() => server.dispose());
  await start;
  const client = new EngineClient(server.socket, { maxSockets: opts.concurrency });
  try {
    const version = await client.negotiate();
    await client.json('POST', '/swarm/init', { ListenAddr: '', AdvertiseAddr: '' }, [200]);
    const describe =
      `shoal ${version.version} (API ${version.serverApiVersion}, using /v${version.apiVersion}), ` +
      `one shoald, pid ${server.pid}, state in ${server.dir}`;
    log(`\n== ${describe}`);
    const result = await runScenario(client, server.pid!, opts, []);
    return { result, version, describe };
  } catch (err) {
    throw new Error(`${(err as Error).message}\nshoald stderr: ${server.stderr}`);
  } finally {
    client.close();
    await runCleanups();
  }
}

async function measureDocker(opts: ScenarioOptions) {
  interrupt.signal.throwIfAborted();
  const start = startDockerPeer(log, { concurrency: opts.concurrency });
  starting = start;
  const peer = await start;
  if ('unavailable' in peer) return { unavailable: peer.unavailable };
  const created: string[] = [];
  let teardownNotes: string[] = [];
  cleanups.push(async () => {
    log(`  docker cleanup of ${created.length} services …`);
    teardownNotes = await peer.teardown(created, opts.runId);
    for (const n of teardownNotes) log(`  docker cleanup: ${n}`);
  });
  if (interrupt.signal.aborted) {
    await runCleanups();
    interrupt.signal.throwIfAborted();
  }
  log(`\n== ${peer.describe}`);
  if (peer.pid === undefined) log('  dockerd pid not found: no RSS or CPU figures for docker');
  try {
    const result = await runScenario(peer.client, peer.pid, opts, created);
    return { result, peer, teardownNotes: () => teardownNotes };
  } catch (err) {
    return { unavailable: `the run against docker failed: ${(err as Error).message}` };
  } finally {
    await runCleanups();
  }
}

function dockerFacts(peer: DockerPeer) {
  return {
    version: peer.version.version,
    serverApiVersion: peer.version.serverApiVersion,
    apiVersionUsed: peer.version.apiVersion,
    startedDaemon: peer.startedDaemon,
    initializedSwarm: peer.initializedSwarm,
    preexistingServices: peer.preexistingServices,
    storageDriver: peer.storageDriver ?? null,
    dataRoot: peer.dataRoot ?? null,
    dataRootFs: peer.dataRoot ? (filesystemOf(peer.dataRoot) ?? null) : null,
  };
}

async function main(): Promise<void> {
  const rounds = int('rounds', 1);
  const base: Omit<ScenarioOptions, 'runId'> = {
    warmupCreates: int('warmup-creates', 1),
    warmupInspects: int('warmup-inspects', 0),
    creates: int('creates', 1),
    inspects: int('inspects', 1),
    concurrency: int('concurrency', 1),
    services: int('services', 1),
    checkpoints: String(args.checkpoints)
      .split(',')
      .filter(Boolean)
      .map((s) => Number(s)),
    fillBudgetSec: int('fill-budget', 1),
    settleMs: Number(args.settle) * 1000,
    seed: int('seed', 0),
    log,
    readMemory: readProcMemory,
    readCpuMs: readProcCpuMs,
    signal: interrupt.signal,
  };
  const machine = describeMachine();
  log(formatMachine(machine));
  log(
    `${rounds} round(s), each: ${base.warmupCreates} warm-up creates + ${base.warmupInspects} ` +
      `inspects, ${base.creates} sequential creates, ${base.inspects} inspects, then a fill to ` +
      `${base.services} services with ${base.concurrency} clients (budget ${base.fillBudgetSec} s); ` +
      `shoal and docker alternate, figures are medians over the rounds`,
  );

  const started = Date.now();
  const runIds: string[] = [];
  const shoalRounds: ScenarioResult[] = [];
  const dockerRounds: ScenarioResult[] = [];
  let shoalVersion: EngineVersion | undefined;
  let peer: DockerPeer | undefined;
  const cleanupNotes: string[][] = [];
  let dockerUnavailable: string | undefined = args['no-docker']
    ? 'skipped (--no-docker)'
    : undefined;
  for (let i = 0; i < rounds; i++) {
    const opts: ScenarioOptions = { ...base, runId: newRunId() };
    runIds.push(opts.runId);
    log(`\n### round ${i + 1} of ${rounds} (run id ${opts.runId})`);
    const shoal = await measureShoal(opts);
    shoalRounds.push(shoal.result);
    shoalVersion = shoal.version;
    if (dockerUnavailable) continue;
    const docker = await measureDocker(opts);
    interrupt.signal.throwIfAborted();
    if ('unavailable' in docker) {
      dockerUnavailable = docker.unavailable;
      log(`docker unavailable: ${docker.unavailable}`);
      continue;
    }
    dockerRounds.push(docker.result);
    peer ??= docker.peer;
    cleanupNotes.push(docker.teardownNotes());
  }

  const shoalResult = medianResult(shoalRounds);
  const dockerResult = dockerRounds.length ? medianResult(dockerRounds) : undefined;
  const target = commonTarget(dockerResult ? [shoalResult, dockerResult] : [shoalResult]);
  const shoalRss = rssAt(shoalResult, target);
  const dockerRss = dockerResult ? rssAt(dockerResult, target) : undefined;

  log(`\nmedians of ${shoalRounds.length} shoal and ${dockerRounds.length} docker round(s):`);
  log(formatComparison(shoalResult, dockerResult, shoalRss, dockerRss));
  if (target !== undefined && target < base.services) {
    log(`memory compared at ${target} services: the fill did not reach ${base.services} on both`);
  }
  const peerText =
    peer && dockerRounds.length === rounds
      ? `docker swarm ${peer.version.version} (one manager)`
      : peer
        ? `docker swarm ${peer.version.version} (one manager), ${dockerRounds.length} of ${rounds} rounds: ${dockerUnavailable}`
        : `unavailable: ${dockerUnavailable}`;
  log(`peer: ${peerText}`);
  log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);

  console.log(
    JSON.stringify({
      bench: 'api',
      runIds,
      machine: { ...machine, loadAverage1m: round(machine.loadAverage1m, 2) },
      workload: {
        image: 'busybox:local',
        replicas: 0,
        rounds,
        warmupCreates: base.warmupCreates,
        warmupInspects: base.warmupInspects,
        creates: base.creates,
        inspects: base.inspects,
        concurrency: base.concurrency,
        services: base.services,
        rssComparedAtServices: target ?? null,
        fillBudgetSec: base.fillBudgetSec,
        seed: base.seed,
      },
      peer: peerText,
      shoal: {
        version: shoalVersion?.version ?? null,
        apiVersionUsed: shoalVersion?.apiVersion ?? null,
        rounds: shoalRounds.length,
        ...systemJson(shoalResult, shoalRss),
        perRound: perRoundJson(shoalRounds, target),
      },
      docker:
        peer && dockerResult
          ? {
              ...dockerFacts(peer),
              rounds: dockerRounds.length,
              ...systemJson(dockerResult, dockerRss),
              perRound: perRoundJson(dockerRounds, target),
              cleanup: cleanupNotes,
            }
          : null,
      ratios: ratiosJson(shoalResult, dockerResult, shoalRss, dockerRss),
    }),
  );
}

main().then(
  () => process.exit(0),
  async (err: Error) => {
    console.error(err.stack ?? err.message);
    await runCleanups();
    process.exit(1);
  },
);
