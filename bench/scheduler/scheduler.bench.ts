/**
 * Placement throughput and incremental scheduling latency (issue 6), on the real manager:
 * three shoald ManagerNodes (Raft with fsynced, encrypted WALs, gRPC over mTLS between them),
 * each in its own process, and N simulated nodes whose agents run in this process.
 *
 *   npm run bench:scheduler -- [--nodes 1000] [--services 100] [--replicas 1000]
 *                              [--concurrency 4] [--samples 50] [--timeout-min 15]
 *                              [--cpu-prof-dir DIR]
 *
 * `--replicas` is per service: the default is the issue's 100 × 1,000 = 100,000 tasks.
 *
 * 1. Three managers start and elect a leader (shoald's defaults: 100 ms tick, 0.5–1 s
 *    election timeout, snapshot every 10,000 entries).
 * 2. The leader writes N worker Node objects, one store write each, as admission does; then
 *    N real Agents (apps/shoald/src/agent) on recording executors open their sessions. They
 *    reach the managers' Dispatchers over one Unix socket per manager
 *    (test/sim/agents/dispatcher.bridge.ts) instead of N gRPC/TLS channels: the leader keeps
 *    its own process, so its RSS is its own, and the agents use the other core. A manager
 *    that does not lead names the leader, so the agents follow a change of leader.
 * 3. Placement: `--concurrency` API clients create the services through the leader's control
 *    layer (ServiceControl.create, as POST /services/create runs it, minus HTTP), each client
 *    one create after another; the leader's orchestrator makes the tasks, its scheduler
 *    assigns them, the agents "run" them and report, the dispatcher writes the reports.
 *    Timed inside the leader, at the store commits: from the first create call until every
 *    task is `assigned` and until every task is `running`.
 * 4. Incremental: `docker service scale` by one (inspect, update with the version read), one
 *    service after another, waiting for each new task to run; latency from the update call
 *    to the commit that makes the new task `assigned`, and `running`.
 *
 * The leader's peak RSS is VmHWM of its process (/proc/<pid>/status). Every manager's
 * event-loop delay is reported, and any change of leader: a manager stalled for longer than
 * the election timeout costs the leader its office, and a run in which the leader changed
 * measures no one leader (it exits 1). `--cpu-prof-dir` writes CPU profiles of the placement
 * step of every process (see profile-top.ts). The last line of output is one JSON object.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchRun } from '../bench-run';
import { StateDir } from '../../apps/shoald/src/daemon/state-dir';
import { readProcCpuMs, readProcMemory } from '../api/proc';
import { describeMachine, formatMachine } from '../raft/machine';
import { percentile, round } from '../raft/stats';
import { now, step } from '../timing';
import { StepProfiler } from './cpu-profile';
import { type ManagerProcess } from './manager.process';
import { startSimCluster } from './sim-cluster';
import {
  type IncrementalResult,
  type LoopDelay,
  type ManagerEvent,
  type PlaceResult,
} from './protocol';

/**
 * Four clients by default: enough that the creates are not what the run waits for (all 100
 * are in within about 9 s, long before the tasks are placed), few enough that the
 * orchestrator's passes stay short. All 100 at once stall every manager for seconds and cost
 * the leader its office (see docs/benchmarks.md); --concurrency 100 shows it.
 */
const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    services: { type: 'string', default: '100' },
    replicas: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    'timeout-min': { type: 'string', default: '15' },
    'cpu-prof-dir': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});

function int(
  name: 'nodes' | 'services' | 'replicas' | 'samples' | 'concurrency' | 'seed',
  min: number,
): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

/** Issue 6's goals for the default scenario. */
const GOAL_TASKS_PER_S = 5_000;
const GOAL_RSS_BYTES = 1.5 * 2 ** 30;

/**
 * The anchors the issue names; neither is measured here. swarmkit's scheduler benchmark:
 * 100,000 tasks on 1,000 nodes in 22.6 s, the scheduler alone (no Raft, no agents). Nomad's
 * C1M: about 3,750 placements/s end to end on 5 servers (other hardware, Nomad's own agents).
 */
const SWARMKIT_SCHEDULER_PER_S = 100_000 / 22.6;
const NOMAD_C1M_PER_S = 3_750;

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const fmtMs = (ms: number) => `${Math.round(ms).toLocaleString('en-US')} ms`;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtRate = (r: number) => `${Math.round(r).toLocaleString('en-US')}/s`;
const fmtBytes = (b: number) =>
  b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${Math.round(b / MiB)} MiB`;

const bench = new BenchRun();

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** CPU ms of each process between two calls, to see who used the two cores. */
function cpuMeter(pids: Record<string, number>) {
  const read = () =>
    Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, readProcCpuMs(pid)]));
  const start = read();
  return () => {
    const end = read();
    return Object.fromEntries(Object.keys(pids).map((k) => [k, end[k]! - start[k]!]));
  };
}

async function main(): Promise<void> {
  const nodes = int('nodes', 1);
  const services = int('services', 1);
  const replicas = int('replicas', 1);
  const samples = int('samples', 0);
  const concurrency = int('concurrency', 1);
  const seed = int('seed', 0);
  const total = services * replicas;
  const left = bench.timeLimit(args['timeout-min']);
  const root = bench.scratchDir('shoal-sched-', "managers' logs and data");
  const machine = describeMachine(root);
  console.log(formatMachine(machine));
  console.log(
    `scenario: ${nodes.toLocaleString('en-US')} simulated nodes, ${services} services × ` +
      `${replicas.toLocaleString('en-US')} replicas = ${total.toLocaleString('en-US')} tasks; ` +
      `${concurrency} API client(s) creating; ${samples} incremental samples; 3 managers, ` +
      `fsync on; logs and data in ${root}`,
  );

  const profDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
  let onProgress: (e: ManagerEvent) => void = () => undefined;
  /** Every change of leader any manager saw, once the cluster was up. */
  const leaderChanges: { atMs: number; seenBy: string; leader: string | undefined }[] = [];
  let watchLeaders = false;
  const { managers, leader, followers, joined, sessionsMs } = await startSimCluster({
    root,
    nodes,
    seed,
    left,
    cleanups: bench.cleanups,
    onEvent: (e) => {
      if (e.event === 'leader' && watchLeaders) {
        leaderChanges.push({ atMs: now(), seenBy: e.id, leader: e.leader });
        console.log(`  ! ${e.id} now sees leader ${e.leader ?? '(none)'}`);
      }
      onProgress(e);
    },
  });
  watchLeaders = true;
  console.log(
    `${nodes} nodes: written in ${fmtMs(joined.ms)}, all sessions open and ready ` +
      `${fmtMs(sessionsMs)} later`,
  );

  // --- placement ------------------------------------------------------------------------
  const pids = {
    leader: leader.pid,
    [`follower ${followers[0]!.id}`]: followers[0]!.pid,
    [`follower ${followers[1]!.id}`]: followers[1]!.pid,
    'agents (this process)': process.pid,
  };
  onProgress = (e) => {
    if (e.event !== 'progress') return;
    console.log(
      `  ${fmtS(e.elapsedMs).padStart(7)}: ${e.created.toLocaleString('en-US')} created, ` +
        `${e.assigned.toLocaleString('en-US')} assigned, ${e.running.toLocaleString('en-US')} running; ` +
        `leader RSS ${fmtBytes(readProcMemory(leader.pid).rssBytes)}, load ${os.loadavg()[0]!.toFixed(1)}`,
    );
  };
  const loadBefore = os.loadavg()[0]!;
  const hwmBeforePlace = readProcMemory(leader.pid).hwmBytes;
  console.log(`placing ${total.toLocaleString('en-US')} tasks (progress every 5 s):`);
  const loopDelays = () =>
    Promise.all(managers.map((m) => m.call<LoopDelay>({ cmd: 'loop-delay' })));
  await loopDelays();
  const selfProfile = new StepProfiler();
  if (profDir) {
    mkdirSync(profDir, { recursive: true });
    await Promise.all([
      selfProfile.start(),
      ...managers.map((m) => m.call({ cmd: 'profile-start' })),
    ]);
  }
  const placeFrom = now();
  const placeCpu = cpuMeter(pids);
  const place = await step('placement', left(), () =>
    leader.call<PlaceResult>({
      cmd: 'place',
      services,
      replicas,
      concurrency,
      timeoutMs: left(),
    }),
  );
  const cpu = placeCpu();
  const placeLoop = await loopDelays();
  if (profDir) {
    const name = (m: ManagerProcess) => `${m === leader ? 'leader' : 'follower'}-${m.id}`;
    await Promise.all([
      selfProfile.stop(path.join(profDir, 'agents.cpuprofile')),
      ...managers.map((m) =>
        m.call({ cmd: 'profile-stop', file: path.join(profDir, `${name(m)}.cpuprofile`) }),
      ),
    ]);
    console.log(`CPU profiles of the placement step written to ${profDir}`);
  }
  const placeLeaderChanges = leaderChanges.filter((c) => c.atMs >= placeFrom).length;
  const rssAfterPlace = readProcMemory(leader.pid);
  // Kept apart from the incremental step's peak: which of the two set it matters.
  const hwmAfterPlace = rssAfterPlace.hwmBytes;
  const loadAfterPlace = os.loadavg()[0]!;

  // --- incremental ----------------------------------------------------------------------
  let incremental: IncrementalResult = { samples: [] };
  if (samples > 0) {
    console.log(`incremental: scaling services by one, ${samples} times`);
    incremental = await step('incremental scheduling', left(), () =>
      leader.call<IncrementalResult>({ cmd: 'incremental', samples, timeoutMs: left() }),
    );
  }
  const incrementalLoop = await loopDelays();
  const leaderMem = readProcMemory(leader.pid);
  const followerMem = followers.map((f) => readProcMemory(f.pid));
  const agentsMem = readProcMemory(process.pid);
  const walBytes = Object.fromEntries(
    managers.map((m) => [m.id, dirBytes(new StateDir(path.join(root, m.id)).raftDir)]),
  );
  const loadEnd = os.loadavg()[0]!;

  // --- report ---------------------------------------------------------------------------
  const e2eMs = place.at.allRunning;
  const assignedMs = place.at.allAssigned;
  const e2eRate = (total / e2eMs) * 1000;
  const assignedRate = (total / assignedMs) * 1000;
  const schedulerWindowMs = place.at.allAssigned - place.at.firstTaskCreated;
  const schedulerWindowRate = (total / schedulerWindowMs) * 1000;
  const assignedLat = incremental.samples.map((s) => s.assignedMs);
  const runningLat = incremental.samples.map((s) => s.runningMs);
  const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
  const rateGoalMet = e2eRate > GOAL_TASKS_PER_S;
  const rssGoalMet = leaderMem.hwmBytes < GOAL_RSS_BYTES;
  const list = (o: Record<string, number>, f: (v: number) => string) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(', ');
  const loopLine = (d: LoopDelay[]) =>
    managers
      .map(
        (m, i) =>
          `${m.id}${m === leader ? ' (leader)' : ''} p99 ${fmtMs(d[i]!.p99)}, max ${fmtMs(d[i]!.max)}`,
      )
      .join('; ');
  const row = (label: string, ms: number, extra = '') =>
    `  ${label.padEnd(34)}${fmtMs(ms).padStart(10)}${extra}`;

  console.log(
    [
      '',
      `placement (${concurrency} API client(s); times from the first create call, at the commit that completes each):`,
      row(`${services} creates returned`, place.createsMs),
      row('first task created', place.at.firstTaskCreated),
      row(`all ${total.toLocaleString('en-US')} tasks created`, place.at.allTasksCreated),
      row('first task assigned', place.at.firstAssigned),
      row('all assigned', assignedMs, `  → ${fmtRate(assignedRate)} to assigned`),
      row('first task running', place.at.firstRunning),
      row(
        'all running',
        e2eMs,
        `  → ${fmtRate(e2eRate)} end to end (goal > ${fmtRate(GOAL_TASKS_PER_S)}: ${rateGoalMet ? 'met' : 'MISSED'})`,
      ),
      `  scheduler: first task created → all assigned ${fmtMs(schedulerWindowMs)} (${fmtRate(schedulerWindowRate)}), in ${place.assignCommits} commits`,
      `  Raft entries: ${place.entries.toLocaleString('en-US')}; WAL + snapshots on disk: ${list(walBytes, fmtBytes)}`,
      `  CPU (${fmtS(cpuTotal)} in all, ${round(cpuTotal / e2eMs, 2)} cores on average): ${list(cpu, fmtS)}`,
      `  event-loop delay: ${loopLine(placeLoop)}`,
      `  leader changes seen (by any manager): ${placeLeaderChanges}${placeLeaderChanges > 0 ? ' — WARNING: leadership moved; these figures are not of one leader' : ''}`,
      '',
      'memory (VmHWM = peak resident):',
      `  leader ${leader.id}: peak ${fmtBytes(leaderMem.hwmBytes)} (goal < 1.5 GiB: ${rssGoalMet ? 'met' : 'MISSED'}); ${fmtBytes(rssAfterPlace.rssBytes)} resident after placement; peak before placement ${fmtBytes(hwmBeforePlace)}, after it ${fmtBytes(hwmAfterPlace)}`,
      `  followers: ${followers.map((f, i) => `${f.id} ${fmtBytes(followerMem[i]!.hwmBytes)}`).join(', ')}; agents process ${fmtBytes(agentsMem.hwmBytes)}`,
    ].join('\n'),
  );
  if (incremental.samples.length > 0) {
    console.log(
      [
        '',
        `incremental (scale +1 in the loaded cluster, ${incremental.samples.length} samples; p99 nearest-rank):`,
        `  update → new task assigned: p50 ${fmtMs(percentile(assignedLat, 50))}, p99 ${fmtMs(percentile(assignedLat, 99))}`,
        `  update → new task running:  p50 ${fmtMs(percentile(runningLat, 50))}, p99 ${fmtMs(percentile(runningLat, 99))}`,
        `  event-loop delay: ${loopLine(incrementalLoop)}`,
      ].join('\n'),
    );
  }
  console.log(
    [
      '',
      `anchors, not measured here: swarmkit's scheduler benchmark ${fmtRate(SWARMKIT_SCHEDULER_PER_S)} (100k tasks on 1k nodes in 22.6 s, scheduler only): Shoal to-assigned / swarmkit = ${round(assignedRate / SWARMKIT_SCHEDULER_PER_S, 2)}`,
      `  Nomad C1M ~${fmtRate(NOMAD_C1M_PER_S)} on 5 servers: Shoal end to end / Nomad = ${round(e2eRate / NOMAD_C1M_PER_S, 2)}`,
      `load average (1 min): ${loadBefore.toFixed(1)} before placement, ${loadAfterPlace.toFixed(1)} after it, ${loadEnd.toFixed(1)} at the end`,
    ].join('\n'),
  );

  const ms = (v: number) => round(v, 0);
  const loopJson = (d: LoopDelay[]) =>
    Object.fromEntries(
      managers.map((m, i) => [
        m === leader ? 'leader' : m.id,
        { p99_ms: round(d[i]!.p99, 1), max_ms: round(d[i]!.max, 1) },
      ]),
    );
  console.log(
    JSON.stringify({
      bench: 'scheduler',
      valid: placeLeaderChanges === 0,
      nodes,
      services,
      replicas_per_service: replicas,
      tasks: total,
      create_clients: concurrency,
      managers: 3,
      fsync: true,
      creates_ms: ms(place.createsMs),
      first_task_created_ms: ms(place.at.firstTaskCreated),
      all_tasks_created_ms: ms(place.at.allTasksCreated),
      all_assigned_ms: ms(assignedMs),
      all_running_ms: ms(e2eMs),
      tasks_per_s_end_to_end: round(e2eRate, 0),
      tasks_per_s_to_assigned: round(assignedRate, 0),
      scheduler_window_ms: ms(schedulerWindowMs),
      scheduler_window_tasks_per_s: round(schedulerWindowRate, 0),
      raft_entries: place.entries,
      scheduler_commits: place.assignCommits,
      leader_changes_during_placement: placeLeaderChanges,
      leader_peak_rss_bytes: leaderMem.hwmBytes,
      leader_rss_after_placement_bytes: rssAfterPlace.rssBytes,
      leader_peak_rss_after_placement_bytes: hwmAfterPlace,
      follower_peak_rss_bytes: followerMem.map((m) => m.hwmBytes),
      agents_process_peak_rss_bytes: agentsMem.hwmBytes,
      wal_bytes: walBytes,
      cpu_ms_during_placement: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, ms(v)])),
      loop_delay_during_placement: loopJson(placeLoop),
      incremental_samples: incremental.samples.length,
      incremental_assigned_p50_ms: round(percentile(assignedLat, 50), 1),
      incremental_assigned_p99_ms: round(percentile(assignedLat, 99), 1),
      incremental_running_p50_ms: round(percentile(runningLat, 50), 1),
      incremental_running_p99_ms: round(percentile(runningLat, 99), 1),
      rate_goal_tasks_per_s: GOAL_TASKS_PER_S,
      rate_goal_met: rateGoalMet,
      rss_goal_bytes: GOAL_RSS_BYTES,
      rss_goal_met: rssGoalMet,
      swarmkit_scheduler_per_s: round(SWARMKIT_SCHEDULER_PER_S, 0),
      to_assigned_vs_swarmkit: round(assignedRate / SWARMKIT_SCHEDULER_PER_S, 3),
      nomad_c1m_per_s: NOMAD_C1M_PER_S,
      end_to_end_vs_nomad: round(e2eRate / NOMAD_C1M_PER_S, 3),
      load_1m: [round(loadBefore, 2), round(loadAfterPlace, 2), round(loadEnd, 2)],
      cpus: machine.logicalCpus,
    }),
  );
  if (placeLeaderChanges > 0) process.exitCode = 1;
}

bench.run(main);
