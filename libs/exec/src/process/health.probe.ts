import { spawn } from 'node:child_process';
import { resolveProgram } from './command';
import { type ProbeResult } from './health.checker';
import { type HealthCommand } from './health.config';
import { signalGroup } from './proc';

/** Docker keeps this much of a check's output (daemon/health.go, maxOutputLen). */
export const MAX_PROBE_OUTPUT_BYTES = 4096;

const PIPE_DRAIN_MS = 100;

export interface ProbeContext {
  env: Record<string, string>;
  cwd: string;
}

/**
 * Runs a health check command once in the task's Env and Dir, in its own process group so
 * that an abort (timeout, task stop) kills whatever it started too. Never rejects: a command
 * that cannot run is a failed check (exit code -1), as in Docker.
 */
export async function runHealthProbe(
  command: HealthCommand,
  ctx: ProbeContext,
  signal: AbortSignal,
): Promise<ProbeResult> {
  let file: string;
  let args: string[];
  if (command.kind === 'shell') {
    file = '/bin/sh';
    args = ['-c', ...command.args];
  } else {
    const resolved = await resolveProgram(command.program, ctx.env.PATH ?? '', ctx.cwd);
    if (resolved === undefined) {
      return {
        exitCode: -1,
        output: `health check program "${command.program}" not found or not executable`,
      };
    }
    file = resolved;
    args = command.args;
  }
  if (signal.aborted) return { exitCode: -1, output: 'health check aborted' };

  return new Promise<ProbeResult>((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer): void => {
      if (kept >= MAX_PROBE_OUTPUT_BYTES) return;
      const part = chunk.subarray(0, MAX_PROBE_OUTPUT_BYTES - kept);
      chunks.push(part);
      kept += part.length;
    };
    const child = spawn(file, args, {
      cwd: ctx.cwd,
      env: ctx.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kill = (): void => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          signalGroup(child.pid, 'SIGKILL');
        } catch {
          // EPERM cannot happen for our own child's group; nothing else to do if it does.
        }
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', kill);
      // A background process of the check may hold the pipes open; do not wait for it.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };
    child.once('error', (e) =>
      finish({ exitCode: -1, output: `health check could not start: ${e.message}` }),
    );
    child.once('exit', (code, sig) => {
      // Kill what the check left running in its group, so checks do not pile up.
      if (child.pid !== undefined) {
        try {
          signalGroup(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const result = (): ProbeResult => {
        const output = Buffer.concat(chunks).toString('utf8');
        return { exitCode: code ?? -1, output: sig ? `${output}(killed by ${sig})` : output };
      };
      // 'close' comes once the pipes are drained; a process that left the group may hold them
      // open, so the output read so far is taken after a short wait instead.
      const fallback = setTimeout(() => finish(result()), PIPE_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(fallback);
        finish(result());
      });
    });
  });
}
