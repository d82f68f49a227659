/**
 * Leader failover under write load, Shoal against etcd 3.4 in the same run, both on their
 * default timings (Shoal: 100 ms ticks, election after 5–10 ticks; etcd: 100 ms heartbeat,
 * 1 s election timeout).
 *
 *   npm run bench:failover -- [--trials 20] [--graceful-trials 5] [--writers 16] [--no-etcd]
 *
 * Crash trials: SIGKILL the leader, then time from the kill to the first commit of a write
 * that was sent after the old leader was dead (so the new leader committed it). The killed
 * member is restarted and the cluster settles before the next trial.
 * Graceful trials: SIGTERM the leader (both hand leadership over on SIGTERM) and count the
 * writes that failed. A write refused with a certain "not applied" answer is retried by its
 * writer, as any client would; only failures whose outcome is unknown count.
 * The last line is one JSON object.
 */
import { parseArgs } from 'node:util';
import { RaftKvError } from '../../test/support/raft-kv/kv.client';
import { describeMachine, formatMachine } from './machine';
import { median, percentile, round } from './stats';
import { type SystemUnderTest, startEtcd, startShoal } from './systems';
import { keyFor, makeValue } from './workload';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'graceful-trials': { type: 'string', default: '5' },
    writers: { type: 'string', default: '16' },
    'no-etcd': { type: 'boolean', default: false },
  },
});

function count(name: 'trials' | 'graceful-trials' | 'writers'): number {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

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
  firstCommitSentAfter(from: number, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no commit within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.watchers.push({
        from,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

interface SystemFigures {
  crash_ms: number[];
  graceful_failures: number[];
}

async function measure(start: () => Promise<SystemUnderTest>): Promise<SystemFigures> {
  const sut = await start();
  const writers = new Writers(sut, count('writers'));
  const figures: SystemFigures = { crash_ms: [], graceful_failures: [] };
  try {
    await writers.firstCommitSentAfter(now());
    for (let i = 0; i < count('trials'); i++) {
      await sleep(500);
      const leader = await sut.leader();
      const killedAt = now();
      await sut.kill(leader, 'SIGKILL');
      const committedAt = await writers.firstCommitSentAfter(now());
      figures.crash_ms.push(committedAt - killedAt);
      console.log(`${sut.name} crash ${i + 1}: ${(committedAt - killedAt).toFixed(0)} ms`);
      await sut.restart(leader);
      await writers.firstCommitSentAfter(now());
    }
    for (let i = 0; i < count('graceful-trials'); i++) {
      await sleep(500);
      const leader = await sut.leader();
      const before = writers.failures;
      await sut.kill(leader, 'SIGTERM');
      await writers.firstCommitSentAfter(now());
      await sleep(500);
      figures.graceful_failures.push(writers.failures - before);
      console.log(`${sut.name} graceful ${i + 1}: ${writers.failures - before} failed writes`);
      await sut.restart(leader);
      await writers.firstCommitSentAfter(now());
    }
  } finally {
    await writers.stop();
    await sut.stop();
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
  console.log(formatMachine(describeMachine()));
  const shoal = await measure(startShoal);
  const etcd = args['no-etcd'] ? undefined : await measure(startEtcd);
  console.log(
    JSON.stringify({
      ...summary('shoal', shoal),
      ...(etcd ? summary('etcd', etcd) : {}),
      ...(etcd
        ? { crash_p50_ratio: round(median(shoal.crash_ms) / median(etcd.crash_ms), 3) }
        : {}),
      trials: count('trials'),
      graceful_trials: count('graceful-trials'),
      writers: count('writers'),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
