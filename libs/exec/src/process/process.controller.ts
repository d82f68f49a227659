import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';
import { type Logger } from '@shoal/common';
import { type Controller, type ExitStatus } from '../executor.port';
import { commandLine, resolveProgram, signalExitCode, stopSignal, taskEnv } from './command';
import {
  type ProcessIdentity,
  isAlive,
  readPidFile,
  readStartTime,
  signalGroup,
  writePidFile,
} from './proc';

/** How often wait() checks /proc for an adopted process, which is not our child. */
export const ADOPTED_POLL_MS = 250;

export const ADOPTED_EXIT_REASON = 'exit status unknown (process adopted after an agent restart)';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface ProcessControllerOptions {
  task: Task;
  /** The executor's state directory; the task's files live in `<stateDir>/tasks/<taskId>`. */
  stateDir: string;
  logger: Logger;
}

/**
 * Runs one task as a host process in its own process group (detached), so it outlives an
 * agent restart and a later controller for the same task can adopt() it through the pid file.
 * Files in the task directory: `stdout.log`, `stderr.log` (appended) and `pid` (JSON
 * `{pid, startTime}`; startTime is /proc/<pid>/stat field 22, so a reused pid is not mistaken
 * for the task's process).
 */
export class ProcessController implements Controller {
  readonly taskDir: string;
  private readonly spec: ContainerSpec;
  private readonly logger: Logger;
  private identity?: ProcessIdentity;
  private child?: ChildProcess;
  private exited?: Promise<ExitStatus>;
  private exitStatus?: ExitStatus;

  constructor(opts: ProcessControllerOptions) {
    const id = opts.task.ID ?? '';
    if (!TASK_ID.test(id)) {
      throw new Error(`process executor: invalid task ID "${id}"`);
    }
    this.taskDir = path.join(opts.stateDir, 'tasks', id);
    this.spec = opts.task.Spec?.ContainerSpec ?? {};
    this.logger = opts.logger.child({ task: id });
  }

  get pidFile(): string {
    return path.join(this.taskDir, 'pid');
  }

  /** The pid of the task's process once started or adopted. */
  get pid(): number | undefined {
    return this.identity?.pid;
  }

  async prepare(): Promise<void> {
    await mkdir(this.taskDir, { recursive: true });
    await this.resolve();
  }

  async start(): Promise<void> {
    if (this.exited) throw new Error('process executor: task already started');
    const { program, args, resolved, env, cwd } = await this.resolve();
    await mkdir(this.taskDir, { recursive: true });
    const out = await open(path.join(this.taskDir, 'stdout.log'), 'a');
    const err = await open(path.join(this.taskDir, 'stderr.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(resolved, args, {
        argv0: program,
        cwd,
        env,
        detached: true,
        stdio: ['ignore', out.fd, err.fd],
      });
      this.exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => {
          const status: ExitStatus =
            code !== null
              ? { exitCode: code }
              : { exitCode: signalExitCode(signal ?? 'SIGKILL'), reason: `killed by ${signal}` };
          this.exitStatus = status;
          this.logger.info('task process exited', { pid: child.pid, ...status });
          resolve(status);
        });
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      this.exited = undefined;
      throw new Error(`process executor: cannot start "${program}": ${(e as Error).message}`);
    } finally {
      await out.close();
      await err.close();
    }
    child.on('error', (e) => this.logger.warn('task process error', { error: e.message }));
    child.unref();
    this.child = child;
    const pid = child.pid as number;
    const startTime = (await readStartTime(pid)) ?? null;
    this.identity = { pid, startTime };
    // With /proc and no start time, it has already exited: no pid file for adopt() to trust.
    if (startTime !== null || !existsSync('/proc/self/stat')) {
      try {
        await writePidFile(this.pidFile, this.identity);
      } catch (e) {
        await this.terminate();
        throw e;
      }
    }
    this.logger.info('task process started', { pid, program: resolved });
  }

  wait(): Promise<ExitStatus> {
    if (!this.exited) {
      return Promise.reject(new Error('process executor: task not started'));
    }
    return this.exited;
  }

  async shutdown(gracePeriodMs: number): Promise<void> {
    if (!(await this.running())) return;
    let signal: NodeJS.Signals;
    try {
      signal = stopSignal(this.spec);
    } catch (e) {
      this.logger.warn('bad StopSignal, using SIGTERM', { error: (e as Error).message });
      signal = 'SIGTERM';
    }
    signalGroup(this.identity!.pid, signal);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, gracePeriodMs));
    });
    const outcome = await Promise.race([this.exited!, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.info('grace period over, killing task process', { gracePeriodMs });
      await this.terminate();
    }
  }

  async terminate(): Promise<void> {
    if (!(await this.running())) return;
    signalGroup(this.identity!.pid, 'SIGKILL');
    await this.exited;
  }

  async remove(): Promise<void> {
    await this.terminate();
    await rm(this.taskDir, { recursive: true, force: true });
  }

  async adopt(): Promise<boolean> {
    if (this.exited) return false;
    const id = await readPidFile(this.pidFile);
    if (!id || !(await isAlive(id))) return false;
    this.identity = id;
    this.exited = this.pollUntilGone(id);
    this.logger.info('adopted task process', { pid: id.pid });
    return true;
  }

  /**
   * True while the process we started or adopted runs. Our own child cannot be replaced under
   * its pid until we reap it, so its exit event suffices; an adopted one is checked in /proc.
   */
  private async running(): Promise<boolean> {
    if (!this.identity || this.exitStatus) return false;
    if (this.child) return true;
    return isAlive(this.identity);
  }

  private pollUntilGone(id: ProcessIdentity): Promise<ExitStatus> {
    return new Promise((resolve) => {
      const check = async (): Promise<void> => {
        if (await isAlive(id)) {
          setTimeout(() => void check(), ADOPTED_POLL_MS).unref();
          return;
        }
        const status: ExitStatus = { exitCode: -1, reason: ADOPTED_EXIT_REASON };
        this.exitStatus = status;
        this.logger.info('adopted task process exited', { pid: id.pid });
        resolve(status);
      };
      void check();
    });
  }

  private async resolve(): Promise<{
    program: string;
    args: string[];
    resolved: string;
    env: Record<string, string>;
    cwd: string;
  }> {
    const { program, args } = commandLine(this.spec);
    const env = taskEnv(this.spec);
    const cwd = this.spec.Dir || this.taskDir;
    const resolved = await resolveProgram(program, env.PATH ?? '', cwd);
    if (resolved === undefined) {
      throw new Error(
        program.includes('/')
          ? `process executor: program "${program}" not found or not executable`
          : `process executor: program "${program}" not found on PATH (${env.PATH ?? ''})`,
      );
    }
    return { program, args, resolved, env, cwd };
  }
}
