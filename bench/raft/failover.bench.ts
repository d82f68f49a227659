/**
 * Leader failover under write load, Shoal against etcd 3.4 in the same run, both on their
 * default timings (Shoal: 100 ms ticks, election after 5–10 ticks; etcd: 100 ms heartbeat,
 * 1 s election timeout).
 *
 *   npm run bench:failover -- [--trials 20] [--graceful-trials 5] [--writers 16]
 *     [--systems shoal,etcd] [--no-etcd]
 *
 * Crash trials: SIGKILL the leader, then time from the kill to the first commit of a write
 * that was sent after the old leader was dead (so the new leader committed it). The killed
 * member is restarted and the cluster settles before the next trial.
 * Graceful trials: SIGTERM the leader (both hand leadership over on SIGTERM) and count the
 * writes that failed. A write refused with a certain "not applied" answer is retried by its
 * writer, as any client would; only failures whose outcome is unknown count.
 * A trial step that does not finish in time fails the run, naming the step; for etcd the
 * members' log tails follow. The last line of a successful run is one JSON object.
 */
import { parseArgs } from 'node:util';
import { RaftKvError } from '../../test/support/raft-kv/kv.client';
import { liveMemberLogTails } from './etcd-cluster';
import { describeMachine, formatMachine } from './machine';
import { median, percentile, round } from './stats';
import { type SystemUnderTest, startEtcd, startShoal } from './systems';
import { keyFor, makeValue } from './workload';
import { step } from '../timing';

const SYSTEMS = { shoal: startShoal, etcd: startEtcd };
type SystemName = keyof typeof SYSTEMS;

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'graceful-trials': { type: 'string', default: '5' },
    writers: { type: 'string', default: '16' },
    systems: { type: 'string', default: 'shoal,etcd' },
    'no-etcd': { type: 'boolean', default: false },
  },
});

function count(name: 'trials' | 'graceful-trials' | 'writers'): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

function systemsToRun(): SystemName[] {
  const names = args.systems!.split(',').filter((s) => s !== '');
  for (const n of names) {
    if (!(n in SYSTEMS)) throw new Error(`--systems: unknown system '${n}' (shoal, etcd)`);
  }
  return (names as SystemName[]).filter((n) => !(n === 'etcd' && args['no-etcd']));
}

/** Kill to first commit; etcd's worst elections under load take a few seconds. */
const COMMIT_TIMEOUT_MS = 30_000;
/** Restart to first commit after it; etcd's restart alone may wait 30 s for health. */
const SETTLE_TIMEOUT_MS = 60_000;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Closed-loop writers that report commits and failures to whoever is watching. */
class Writers {
  failures = 0;
  private running = true;
  private watchers: { from: number; resolve: (t: number) => void }[] = [];
  private readonly done: Promise<void[]>;

  constructor(
    private readonly sut: SystemUnderTest,
    n: number,
  ) {
    const value = makeValue(1024);
    this.done = Promise.all(Array.from({ length: n }, (_, w) => this.loop(w, value)));
  }

  private async loop(w: number, value: Buffer): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const start = now();
      try {
        await this.sut.put(keyFor(w, seq, 10_000), value);
        const end = now();
        this.watchers = this.watchers.filter((x) => {
          if (start < x.from) return true;
          x.resolve(end);
          return false;
        });
      } catch (err) {
        if (!(err instanceof RaftKvError && err.outcome === 'not-applied')) this.failures++;
        await sleep(5);
      }
    }
  }

  /** The completion time of the first write sent at or after `from` that commits. */
  firstCommitSentAfter(from: number): Promise<number> {
    return new Promise((resolve) => this.watchers.push({ from, resolve }));
  }

  /** Sends no more writes; `done` settles once the ones in flight have. */
  halt(): Promise<void[]> {
    this.running = false;
    return this.done;
  }
}

interface SystemFigures {
  crash_ms: number[];
  graceful_failures: number[];
}

async function measure(name: SystemName): Promise<SystemFigures> {
  const sut = await SYSTEMS[name]();
  const writers = new Writers(sut, count('writers'));
  const figures: SystemFigures = { crash_ms: [], graceful_failures: [] };
  const settle = (trial: string, member: string) =>
    step(`${trial}: restart→settle (${member})`, SETTLE_TIMEOUT_MS, async () => {
      await sut.restart(member);
      await writers.firstCommitSentAfter(now());
    });
  try {
    await step(`${name}: start→first commit`, COMMIT_TIMEOUT_MS, () =>
      writers.firstCommitSentAfter(now()),
    );
    for (let i = 1; i <= count('trials'); i++) {
      const trial = `${name} crash ${i}`;
      await sleep(500);
      const leader = await step(`${trial}: finding the leader`, COMMIT_TIMEOUT_MS, () =>
        sut.leader(),
      );
      const killedAt = now();
      const committedAt = await step(`${trial}: kill→commit (${leader})`, COMMIT_TIMEOUT_MS, () =>
        sut.kill(leader, 'SIGKILL').then(() => writers.firstCommitSentAfter(now())),
      );
      figures.crash_ms.push(committedAt - killedAt);
      console.log(`${trial}: ${(committedAt - killedAt).toFixed(0)} ms`);
      await settle(trial, leader);
    }
    for (let i = 1; i <= count('graceful-trials'); i++) {
      const trial = `${name} graceful ${i}`;
      await sleep(500);
      const leader = await step(`${trial}: finding the leader`, COMMIT_TIMEOUT_MS, () =>
        sut.leader(),
      );
      const before = writers.failures;
      await step(`${trial}: SIGTERM→commit (${leader})`, COMMIT_TIMEOUT_MS, () =>
        sut.kill(leader, 'SIGTERM').then(() => writers.firstCommitSentAfter(now())),
      );
      await sleep(500);
      figures.graceful_failures.push(writers.failures - before);
      console.log(`${trial}: ${writers.failures - before} failed writes`);
      await settle(trial, leader);
    }
  } catch (err) {
    // Read the logs now: stopping the cluster deletes them.
    const logs = name === 'etcd' ? `\netcd member log tails:\n${liveMemberLogTails()}` : '';
    throw new Error(`${(err as Error).message}\n(${sut.describe})${logs}`, { cause: err });
  } finally {
    const writersDone = writers.halt();
    // Stopped first, so that a write still waiting on the system fails at once (both clients
    // refuse calls once closed) instead of holding the cluster up until its deadline.
    await sut.stop();
    await writersDone;
  }
  return figures;
}

function summary(prefix: string, f: SystemFigures): Record<string, number | null> {
  return {
    [`${prefix}_crash_p50_ms`]: round(median(f.crash_ms), 0),
    [`${prefix}_crash_p99_ms`]: round(percentile(f.crash_ms, 99), 0),
    [`${prefix}_crash_max_ms`]: round(Math.max(...f.crash_ms), 0),
    [`${prefix}_graceful_failed_writes`]: f.graceful_failures.reduce((a, b) => a + b, 0),
  };
}

async function main(): Promise<void> {
  const systems = systemsToRun();
  console.log(formatMachine(describeMachine()));
  const figures: Partial<Record<SystemName, SystemFigures>> = {};
  for (const name of systems) figures[name] = await measure(name);
  const { shoal, etcd } = figures;
  console.log(
    JSON.stringify({
      ...(shoal ? summary('shoal', shoal) : {}),
      ...(etcd ? summary('etcd', etcd) : {}),
      ...(shoal && etcd
        ? { crash_p50_ratio: round(median(shoal.crash_ms) / median(etcd.crash_ms), 3) }
        : {}),
      trials: count('trials'),
      graceful_trials: count('graceful-trials'),
      writers: count('writers'),
    }),
  );
}

// Ctrl-C: leave through process.exit, so etcd-cluster's exit hook kills the members it started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
