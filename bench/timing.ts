/**
 * Time and patience for the swarm benchmark: a monotonic clock in milliseconds, a step that
 * fails the run under its own name when it overruns, and a poll for conditions that only
 * become true later (a manager showing as Reachable, a leader being elected).
 */

/** Monotonic milliseconds; immune to wall-clock steps during a long run. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Runs `f`; if it rejects or is not done within `timeoutMs`, rejects naming the step. */
export async function step<T>(name: string, timeoutMs: number, f: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([f(), overrun]);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Gives up early (e.g. Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a value other than undefined and resolves with it. A probe
 * that throws counts as "not yet" (a daemon restarting refuses connections for a while); the
 * last error is named if the time runs out.
 */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  o: PollOptions,
): Promise<T> {
  const deadline = now() + o.timeoutMs;
  let last: string | undefined;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = undefined;
    } catch (err) {
      last = (err as Error).message;
    }
    if (now() >= deadline) {
      throw new Error(
        `${what}: not within ${o.timeoutMs} ms` + (last ? ` (last error: ${last})` : ''),
      );
    }
    await sleep(o.intervalMs);
  }
}
