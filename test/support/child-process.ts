import { type ChildProcess } from 'node:child_process';

/** The tail is enough for error reports; a long run must not grow it without bound. */
const STDERR_TAIL_CHARS = 8_000;

/**
 * Follows a server the tests spawned (stderr piped): hands the tail of its stderr to
 * `onTail` as it grows, and resolves with its exit code.
 */
export function watchChild(
  child: ChildProcess,
  onTail: (tail: string) => void,
): Promise<number | null> {
  let tail = '';
  child.stderr!.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-STDERR_TAIL_CHARS);
    onTail(tail);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/**
 * Polls `probe` every `intervalMs` until it answers true. Fails, naming `what` and quoting
 * `stderr()`, when the child exits first or `timeoutMs` passes. A probe that throws counts as
 * "not listening yet".
 */
export async function waitUntilServing(
  what: string,
  child: ChildProcess,
  probe: () => Promise<boolean>,
  o: { timeoutMs: number; intervalMs: number; stderr: () => string },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with ${child.exitCode}: ${o.stderr()}`);
    }
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
  throw new Error(`${what} did not answer within ${o.timeoutMs} ms: ${o.stderr()}`);
}
