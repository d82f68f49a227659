/**
 * Swarm-level availability of Shoal with its defaults (100 ms Raft ticks, election after
 * 5–10 ticks, pre-vote, check-quorum, leadership hand-over on SIGTERM), measured on real shoald
 * processes on loopback, each with its own state dir, socket and cluster port:
 *
 *   npm run bench:swarm -- [--trials 20] [--graceful-trials 5] [--graceful-updates 50]
 *                          [--join-trials 10] [--interval 20]
 *
 * 1. Failover: 3 managers (one init, two join with the manager token). One client updates a
 *    service (read the version, send the spec with a label bumped) every --interval ms through
 *    a manager that is not the leader. kill -9 the leader; the figure is the time from the
 *    kill to the completion of the first successful update whose request was sent after the
 *    leader had died. The killed manager is restarted, and the next trial waits until every
 *    manager names the same leader and the leader's `node ls` shows the others Reachable.
 * 2. Graceful stop: the same, with SIGTERM. Counted: failed requests (any non-2xx answer but a
 *    409, which the stream answers by reading again; or no answer) from the SIGTERM until
 *    the process has exited and --graceful-updates more updates have succeeded; and the longest
 *    time in that window without a successful update.
 * 3. Join: per trial three fresh daemons; one inits, then the time of the `POST /swarm/join`
 *    round trip of a worker, then of a manager, and for the manager also until the leader's
 *    `node ls` shows it Reachable (it joins as a learner and is promoted once caught up).
 * 4. Docker Swarm is not measured (see PEER below).
 *
 * Every process and temp dir is removed on the way out, including on errors and Ctrl-C. The
 * last line of output is one JSON object with every figure.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, formatMachine } from '../raft/machine';
import { round } from '../raft/stats';
import {
  DaemonSet,
  initSwarm,
  joinVia,
  leaderIdOf,
  ManagerCluster,
  type SwarmDaemon,
} from './cluster';
import {
  countOutcomes,
  type FailureKind,
  longestPause,
  mergeTallies,
  type Outcome,
  tallyFailures,
} from './outcomes';
import { type PinnedBuild, pinBuild } from './pinned-build';
import { formatMs, formatTable, summarizeTrials, verdict } from './report';
import { now, poll, sleep, step } from '../timing';
import { UpdateStream } from './update-stream';

const PEER =
  'Docker Swarm not measured: a 3-manager swarm needs 3 Docker engines and this machine runs ' +
  'one dockerd, which also cannot join a second node, so neither failover nor join can be ' +
  'timed for it. Swarm’s documented defaults: election after 10 ticks of 1 s ' +
  '(ElectionTick 10, HeartbeatTick 1), i.e. ~10–20 s to fail over.';

const FAILOVER_GOAL_P99_MS = 2_000;

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'graceful-trials': { type: 'string', default: '5' },
    'graceful-updates': { type: 'string', default: '50' },
    'join-trials': { type: 'string', default: '10' },
    interval: { type: 'string', default: '20' },
  },
});

function int(name: keyof typeof args, min: number): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

/** Kill or SIGTERM → the stream's next success, and other waits for the cluster. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** A restarted manager back to Reachable; a join's promotion to voter. */
const SETTLE_TIMEOUT_MS = 60_000;

const log = (line: string) => console.log(line);

const REPO_ROOT = path.resolve(__dirname, '../..');

let build: PinnedBuild | undefined;
let daemons: DaemonSet | undefined;
const interrupt = new AbortController();
let stream: UpdateStream | undefined;
const pollFast = { intervalMs: 20, timeoutMs: SETTLE_TIMEOUT_MS, signal: interrupt.signal };
const pollSettle = { intervalMs: 100, timeoutMs: SETTLE_TIMEOUT_MS, signal: interrupt.signal };

// Whatever happens, no shoald outlives the run: the exit hook kills what is still up.
process.on('exit', () => {
  daemons?.releaseAllSync();
  build?.disposeSync();
});
let interruptedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx relays the terminal's SIGINT, so one Ctrl-C often arrives twice: only a repeat
    // after a pause means "exit now" (the exit hook still kills the daemons).
    if (interruptedAt) {
      if (Date.now() - interruptedAt > 3_000) process.exit(130);
      return;
    }
    interruptedAt = Date.now();
    console.error(`\n${signal}: stopping and cleaning up (again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
    void (daemons?.releaseAll(true) ?? Promise.resolve())
      .then(() => stream?.stop())
      .then(() => build?.dispose())
      .catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`))
      .finally(() => process.exit(130));
  });
}

interface FailoverTrial {
  ms: number;
  /** Kill → the first success of any update, including one sent before the kill. */
  firstAnySuccessMs: number;
  killed: string;
  via: string;
  newLeader: string;
  /** Restart of the killed manager → every manager up again. */
  rejoinMs: number;
  failures: FailureKind[];
}

interface GracefulTrial {
  stopped: string;
  via: string;
  exitCode: number | null;
  /** SIGTERM → the process exited. */
  exitMs: number;
  failedUpdates: number;
  failedReads: number;
  conflicts: number;
  longestPauseMs: number;
  failures: FailureKind[];
}

interface JoinTrial {
  workerMs: number;
  managerMs: number;
  managerReachableMs: number;
}

/** Measured windows, so failures outside them (during restarts) can be reported too. */
const windows: [number, number][] = [];

/** A manager other than `leader` for the stream, and the stream flowing through it. */
async function streamAvoiding(cluster: ManagerCluster, leader: SwarmDaemon, trial: string) {
  const via = cluster.managers.find((m) => m !== leader && m.running)!;
  stream!.retarget(via);
  await step(`${trial}: updates through ${via.name}`, RECOVERY_TIMEOUT_MS, () =>
    stream!.successesSentFrom(now(), 2),
  );
  return via;
}

async function restartAndSettle(cluster: ManagerCluster, d: SwarmDaemon, trial: string) {
  const t0 = now();
  await step(`${trial}: restart ${d.name} → all managers up`, SETTLE_TIMEOUT_MS, async () => {
    await d.start();
    await cluster.waitAllUp(pollSettle);
  });
  return now() - t0;
}

async function failoverTrials(cluster: ManagerCluster, trials: number): Promise<FailoverTrial[]> {
  const out: FailoverTrial[] = [];
  for (let i = 1; i <= trials; i++) {
    const trial = `failover ${i}`;
    await sleep(300);
    const leader = await step(`${trial}: finding the leader`, RECOVERY_TIMEOUT_MS, () =>
      cluster.leader(pollFast),
    );
    const via = await streamAvoiding(cluster, leader, trial);
    const killedAt = now();
    await leader.kill9();
    const deadAt = now();
    const recoveredAt = await step(
      `${trial}: kill -9 ${leader.name} → an update through ${via.name}`,
      RECOVERY_TIMEOUT_MS,
      () => stream!.successesSentFrom(deadAt),
    );
    windows.push([killedAt, recoveredAt]);
    const window = stream!.completedBetween(killedAt, recoveredAt);
    const firstAny = window.find((o) => o.kind === 'success');
    const newLeaderId = leaderIdOf(await via.nodes().catch(() => []));
    const t: FailoverTrial = {
      ms: recoveredAt - killedAt,
      firstAnySuccessMs: (firstAny?.doneAt ?? recoveredAt) - killedAt,
      killed: leader.name,
      via: via.name,
      newLeader: (newLeaderId && cluster.byNodeId(newLeaderId)?.name) ?? '?',
      rejoinMs: 0,
      failures: tallyFailures(window),
    };
    t.rejoinMs = await restartAndSettle(cluster, leader, trial);
    out.push(t);
    const seen = t.failures.map((f) => `${f.count}× ${f.phase} ${f.status}`).join(', ');
    log(
      `${trial}: ${t.ms.toFixed(0)} ms (killed ${t.killed}, updates via ${t.via}, new leader ` +
        `${t.newLeader}; failed requests: ${seen || 'none'}; restart → Reachable ` +
        `${t.rejoinMs.toFixed(0)} ms)` +
        (t.firstAnySuccessMs < t.ms
          ? `; an update sent before the kill succeeded at ${t.firstAnySuccessMs.toFixed(0)} ms`
          : ''),
    );
  }
  return out;
}

async function gracefulTrials(
  cluster: ManagerCluster,
  trials: number,
  updates: number,
): Promise<GracefulTrial[]> {
  const out: GracefulTrial[] = [];
  for (let i = 1; i <= trials; i++) {
    const trial = `graceful ${i}`;
    await sleep(300);
    const leader = await step(`${trial}: finding the leader`, RECOVERY_TIMEOUT_MS, () =>
      cluster.leader(pollFast),
    );
    const via = await streamAvoiding(cluster, leader, trial);
    const termAt = now();
    const exitCode = await leader.terminate();
    const exitedAt = now();
    const endAt = await step(
      `${trial}: SIGTERM ${leader.name} → ${updates} updates through ${via.name}`,
      RECOVERY_TIMEOUT_MS,
      () => stream!.successesSentFrom(exitedAt, updates),
    );
    windows.push([termAt, endAt]);
    const window = stream!.completedBetween(termAt, endAt);
    const c = countOutcomes(window);
    const t: GracefulTrial = {
      stopped: leader.name,
      via: via.name,
      exitCode,
      exitMs: exitedAt - termAt,
      failedUpdates: c.failedUpdates,
      failedReads: c.failedReads,
      conflicts: c.conflicts,
      longestPauseMs: longestPause(window, termAt, endAt),
      failures: tallyFailures(window),
    };
    await restartAndSettle(cluster, leader, trial);
    out.push(t);
    log(
      `${trial}: ${t.failedUpdates} failed updates, ${t.failedReads} failed reads, ` +
        `${t.conflicts} conflicts; longest pause ${t.longestPauseMs.toFixed(0)} ms; ` +
        `${t.stopped} exited with ${t.exitCode} after ${t.exitMs.toFixed(0)} ms (updates via ${t.via})`,
    );
  }
  return out;
}

async function joinTrials(trials: number): Promise<JoinTrial[]> {
  const out: JoinTrial[] = [];
  for (let i = 1; i <= trials; i++) {
    interrupt.signal.throwIfAborted();
    const trial = `join ${i}`;
    const set = daemons!;
    const [lead, worker, manager] = [
      await set.create(`j${i}-lead`),
      await set.create(`j${i}-worker`),
      await set.create(`j${i}-manager`),
    ];
    try {
      await Promise.all([lead, worker, manager].map((d) => d.start()));
      const tokens = await initSwarm(lead);
      const join = async (d: SwarmDaemon, token: string, role: string) => {
        const t0 = now();
        const res = await joinVia(d, token, lead);
        const ms = now() - t0;
        if (res.status !== 200) {
          throw new Error(`${trial}: ${role} join → HTTP ${res.status}: ${res.text.slice(0, 300)}`);
        }
        return { t0, ms };
      };
      const w = await join(worker, tokens.Worker, 'worker');
      const m = await join(manager, tokens.Manager, 'manager');
      const managerId = await manager.readNodeId();
      const reachableAt = await poll(
        `${trial}: manager Reachable in the leader's node ls`,
        async () => {
          const status = (await lead.nodes()).find((n) => n.ID === managerId)?.ManagerStatus;
          return status?.Reachability === 'reachable' ? now() : undefined;
        },
        pollFast,
      );
      const t: JoinTrial = {
        workerMs: w.ms,
        managerMs: m.ms,
        managerReachableMs: reachableAt - m.t0,
      };
      out.push(t);
      log(
        `${trial}: worker ${t.workerMs.toFixed(0)} ms, manager ${t.managerMs.toFixed(0)} ms ` +
          `(Reachable after ${t.managerReachableMs.toFixed(0)} ms)`,
      );
    } finally {
      await Promise.all([lead, worker, manager].map((d) => set.release(d)));
    }
  }
  return out;
}

function failuresOutsideWindows(outcomes: readonly Outcome[]): FailureKind[] {
  return tallyFailures(
    outcomes.filter((o) => !windows.some(([from, to]) => o.doneAt >= from && o.doneAt <= to)),
  );
}

function describeFailures(title: string, kinds: readonly FailureKind[]): string {
  if (kinds.length === 0) return `${title}: none`;
  return [
    `${title}:`,
    ...kinds.map(
      (k) =>
        `  ${String(k.count).padStart(5)}× ${k.phase} ${k.status || 'no answer'}: ${k.message}`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = {
    managers: 3,
    trials: int('trials', 0),
    gracefulTrials: int('graceful-trials', 0),
    gracefulUpdates: int('graceful-updates', 1),
    joinTrials: int('join-trials', 0),
    intervalMs: int('interval', 1),
  };
  const started = now();
  const machine = describeMachine();
  log(formatMachine(machine));
  build = await pinBuild({
    distDir: path.join(REPO_ROOT, 'dist'),
    nodeModules: path.join(REPO_ROOT, 'node_modules'),
    packageJson: path.join(REPO_ROOT, 'package.json'),
  });
  daemons = new DaemonSet(build.shoaldMain);
  log(`shoald: a private copy of dist/ (built ${build.builtAt}) in ${build.dir}`);
  log(
    `3 managers on loopback with Shoal's defaults; one client reads and updates a service ` +
      `every ${settings.intervalMs} ms through a manager other than the leader; ` +
      `${settings.trials} kill -9 trials, ${settings.gracefulTrials} SIGTERM trials ` +
      `(until ${settings.gracefulUpdates} updates after the exit), ${settings.joinTrials} join trials`,
  );

  let failover: FailoverTrial[] = [];
  let graceful: GracefulTrial[] = [];
  let streamOutcomes: Outcome[] = [];
  if (settings.trials + settings.gracefulTrials > 0) {
    const t0 = now();
    const cluster = await step('forming 3 managers', SETTLE_TIMEOUT_MS, () =>
      ManagerCluster.form(daemons!, 3, pollSettle),
    );
    log(
      `formed in ${(now() - t0).toFixed(0)} ms: ` +
        cluster.managers.map((m) => `${m.name} ${m.nodeId} at ${m.listenAddr}`).join(', '),
    );
    const leader = await cluster.leader(pollFast);
    const created = await leader.json<{ ID: string }>(
      'POST',
      '/services/create',
      {
        Name: `swarm-bench-${process.pid}`,
        Labels: { 'shoal.bench': 'swarm' },
        TaskTemplate: { ContainerSpec: { Image: 'busybox:local' } },
        Mode: { Replicated: { Replicas: 0 } },
      },
      [201],
    );
    stream = new UpdateStream({
      serviceId: created.ID,
      intervalMs: settings.intervalMs,
      target: cluster.managers.find((m) => m !== leader)!,
    });
    stream.start();
    try {
      failover = await failoverTrials(cluster, settings.trials);
      graceful = await gracefulTrials(cluster, settings.gracefulTrials, settings.gracefulUpdates);
    } catch (err) {
      const tails = cluster.managers
        .map((m) => `--- ${m.name} stderr (tail):\n${m.proc.stderr.slice(-2_000)}`)
        .join('\n');
      throw new Error(`${(err as Error).message}\n${tails}`, { cause: err });
    } finally {
      await stream.stop();
      streamOutcomes = stream.outcomes;
      await daemons.releaseAll();
    }
  }
  const joins = await joinTrials(settings.joinTrials);

  const fo = summarizeTrials(failover.map((t) => t.ms));
  const rejoin = summarizeTrials(failover.map((t) => t.rejoinMs));
  const failoverGoal = fo.p99Ms === null ? null : fo.p99Ms < FAILOVER_GOAL_P99_MS;
  const gracefulFailedUpdates = graceful.reduce((a, t) => a + t.failedUpdates, 0);
  const gracefulFailedReads = graceful.reduce((a, t) => a + t.failedReads, 0);
  const gracefulPause = graceful.length ? Math.max(...graceful.map((t) => t.longestPauseMs)) : NaN;
  const gracefulGoal = graceful.length ? gracefulFailedUpdates === 0 : null;
  const worker = summarizeTrials(
    joins.map((t) => t.workerMs),
    1,
  );
  const manager = summarizeTrials(
    joins.map((t) => t.managerMs),
    1,
  );
  const reachable = summarizeTrials(
    joins.map((t) => t.managerReachableMs),
    1,
  );
  const failoverFailures = mergeTallies(failover.map((t) => t.failures));
  const gracefulFailures = mergeTallies(graceful.map((t) => t.failures));
  const otherFailures = failuresOutsideWindows(streamOutcomes);
  const totals = countOutcomes(streamOutcomes);

  const n = (k: number) => `${k} trial${k === 1 ? '' : 's'}`;
  log('');
  log(
    formatTable(
      ['figure', 'Shoal', 'goal'],
      [
        [`kill -9 leader → next update, p50 (${n(fo.n)})`, formatMs(fo.p50Ms), ''],
        [
          `kill -9 leader → next update, p99${fo.n < 100 ? ' (= max)' : ''}`,
          formatMs(fo.p99Ms),
          `< 2 s: ${verdict(failoverGoal)}`,
        ],
        ['kill -9 leader → next update, max', formatMs(fo.maxMs), ''],
        ['restarted manager → Reachable, p50', formatMs(rejoin.p50Ms), ''],
        [
          `SIGTERM leader: failed updates (${n(graceful.length)})`,
          graceful.length ? String(gracefulFailedUpdates) : '–',
          `0: ${verdict(gracefulGoal)}`,
        ],
        ['SIGTERM leader: failed reads', graceful.length ? String(gracefulFailedReads) : '–', ''],
        ['SIGTERM leader: longest pause (max of trials)', formatMs(gracefulPause), ''],
        [`worker join round trip, p50 (${n(worker.n)})`, formatMs(worker.p50Ms), ''],
        ['worker join round trip, p99', formatMs(worker.p99Ms), ''],
        [`manager join round trip, p50`, formatMs(manager.p50Ms), ''],
        ['manager join round trip, p99', formatMs(manager.p99Ms), ''],
        ['manager join → Reachable, p50', formatMs(reachable.p50Ms), ''],
        ['manager join → Reachable, p99', formatMs(reachable.p99Ms), ''],
        ['Docker Swarm (peer)', 'not measured', 'defaults: ~10–20 s'],
      ],
    ),
  );
  log('');
  log(describeFailures('failed requests during kill -9 failovers', failoverFailures));
  log(describeFailures('failed requests during SIGTERM windows', gracefulFailures));
  log(describeFailures('failed requests outside the measured windows', otherFailures));
  log(
    `update stream: ${totals.successes} updates, ${totals.conflicts} conflicts (409, re-read), ` +
      `${totals.failedUpdates} failed updates, ${totals.failedReads} failed reads`,
  );
  log(`peer: ${PEER}`);
  const totalSeconds = (now() - started) / 1000;
  log(`total ${totalSeconds.toFixed(0)} s`);

  console.log(
    JSON.stringify({
      bench: 'swarm',
      machine: { ...machine, loadAverage1m: round(machine.loadAverage1m, 2) },
      settings,
      build: build.builtAt,
      failover: {
        ...fo,
        goalP99Ms: FAILOVER_GOAL_P99_MS,
        goalMet: failoverGoal,
        trialsMs: failover.map((t) => round(t.ms, 0)),
        rejoinP50Ms: rejoin.p50Ms,
        rejoinMaxMs: rejoin.maxMs,
        failures: failoverFailures,
      },
      graceful: {
        trials: graceful.length,
        updatesAfterExit: settings.gracefulUpdates,
        failedUpdates: gracefulFailedUpdates,
        failedReads: gracefulFailedReads,
        longestPauseMs: round(gracefulPause, 0),
        goalMet: gracefulGoal,
        perTrial: graceful.map((t) => ({
          failedUpdates: t.failedUpdates,
          failedReads: t.failedReads,
          conflicts: t.conflicts,
          longestPauseMs: round(t.longestPauseMs, 0),
          exitMs: round(t.exitMs, 0),
          exitCode: t.exitCode,
        })),
        failures: gracefulFailures,
      },
      join: {
        trials: joins.length,
        worker,
        manager,
        managerReachable: reachable,
        trialsMs: joins.map((t) => ({
          worker: round(t.workerMs, 1),
          manager: round(t.managerMs, 1),
          managerReachable: round(t.managerReachableMs, 1),
        })),
      },
      stream: { ...totals, failuresOutsideWindows: otherFailures },
      peer: PEER,
      totalSeconds: round(totalSeconds, 0),
    }),
  );
}

main().then(
  async () => {
    await build?.dispose();
    process.exit(0);
  },
  async (err: unknown) => {
    if (interrupt.signal.aborted) return; // the signal handler cleans up and exits
    console.error(err instanceof Error ? err.message : err);
    await daemons?.releaseAll(true).catch(() => undefined);
    await build?.dispose().catch(() => undefined);
    process.exit(1);
  },
);
