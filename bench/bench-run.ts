import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { now } from './timing';

export type Cleanup = () => Promise<void> | void;

/**
 * The life of a benchmark process that starts other processes: cleanups owed, run newest
 * first whether the run ends, fails, overruns its time or is interrupted (Ctrl-C twice quits
 * at once); and a scratch dir that is kept, with a word saying where, when the run failed,
 * since the logs in it are then worth reading.
 */
export class BenchRun {
  readonly cleanups: Cleanup[] = [];

  /** Runs `main` to the end, then exits: 1 if it threw or set a non-zero exit code. */
  run(main: () => Promise<void>): void {
    let interrupted = false;
    process.on('SIGINT', () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      console.error('interrupted; cleaning up');
      void this.cleanUp().finally(() => process.exit(130));
    });
    main()
      .catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exitCode = 1;
      })
      .then(() => this.cleanUp())
      .then(() => process.exit());
  }

  /**
   * Bounds the run to `--timeout-min` minutes: stops it, cleaning up, if it is still going
   * then. Returns the time left (ms, at least 1), the budget each step may wait for.
   */
  timeLimit(minutes: string | undefined): () => number {
    const timeoutMs = Number(minutes) * 60_000;
    if (!(timeoutMs > 0)) throw new Error('--timeout-min must be a positive number of minutes');
    const deadline = now() + timeoutMs;
    setTimeout(() => {
      console.error(`the benchmark did not finish within ${minutes} min; stopping`);
      process.exitCode = 1;
      void this.cleanUp().finally(() => process.exit(1));
    }, timeoutMs).unref();
    return () => Math.max(1, deadline - now());
  }

  /** A temp dir for `what`, removed at the end unless the run failed. */
  scratchDir(prefix: string, what: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.cleanups.push(() => {
      if (process.exitCode) console.error(`${what} kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    });
    return dir;
  }

  private async cleanUp(): Promise<void> {
    while (this.cleanups.length) {
      try {
        await this.cleanups.pop()!();
      } catch (err) {
        console.error(`cleanup failed: ${(err as Error).message}`);
      }
    }
  }
}
