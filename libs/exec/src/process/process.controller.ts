import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';
import { type Logger } from '@shoal/common';
import {
  type Controller,
  type ExitStatus,
  type LogEntry,
  type LogOptions,
  TaskExitError,
  UNHEALTHY_REASON,
} from '../executor.port';
import { commandLine, resolveProgram, signalExitCode, stopSignal, taskEnv } from './command';
import { HealthChecker, type HealthTimers } from './health.checker';
import { type HealthSettings, healthSettings } from './health.config';
import { runHealthProbe } from './health.probe';
import {
  type ProcessIdentity,
  isAlive,
  readPidFile,
  readStartTime,
  signalGroup,
  writePidFile,
} from './proc';
import { checkProcessLogOptions, readTaskLogs } from './task-logs.reader';

/** How often wait() checks /proc for an adopted process, which is not our child. */
export const ADOPTED_POLL_MS = 250;

export const ADOPTED_EXIT_REASON = 'exit status unknown (process adopted after an agent restart)';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The directory of task `taskId`'s files; throws for an ID that is not a safe file name. */
export function processTaskDir(stateDir: string, taskId: string): string {
  if (!TASK_ID.test(taskId)) {
    throw new Error(`process executor: invalid task ID "${taskId}"`);
  }
  return path.join(stateDir, 'tasks', taskId);
}

export interface ProcessControllerOptions {
  task: Task;
  /** The executor's state directory; the task's files live in `<stateDir>/tasks/<taskId>`. */
  stateDir: string;
  logger: Logger;
  /** Timers for the healthcheck; real ones unless a test passes fakes. */
  healthTimers?: HealthTimers;
  /** How often logs() in follow mode looks for new output; 100 ms unless given. */
  logPollMs?: number;
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
  private readonly task: Task;
  private readonly logger: Logger;
  private identity?: ProcessIdentity;
  private child?: ChildProcess;
  private exited?: Promise<ExitStatus>;
  private exitStatus?: ExitStatus;
  private readonly health: { settings?: HealthSettings; error?: Error };
  private readonly healthTimers?: HealthTimers;
  private readonly logPollMs?: number;
  private healthChecker?: HealthChecker;
  private unhealthy = false;
  /** shutdown(), terminate() or remove() was called: a start() in flight must not leave it running. */
  private stopAsked = false;
  /** Resolves at the first passing healthcheck. */
  private readonly firstHealthy: Promise<void>;
  private markHealthy!: () => void;

  constructor(opts: ProcessControllerOptions) {
    const id = opts.task.ID ?? '';
    this.taskDir = processTaskDir(opts.stateDir, id);
    this.task = opts.task;
    this.spec = opts.task.Spec?.ContainerSpec ?? {};
    this.logger = opts.logger.child({ task: id });
    this.healthTimers = opts.healthTimers;
    this.logPollMs = opts.logPollMs;
    this.firstHealthy = new Promise((resolve) => (this.markHealthy = resolve));
    // Kept, not thrown: a controller must be cheap to make, and prepare() reports it as failed.
    try {
      this.health = { settings: healthSettings(this.spec.HealthCheck) };
    } catch (e) {
      this.health = { error: e as Error };
    }
  }

  get pidFile(): string {
    return path.join(this.taskDir, 'pid');
  }

  /** The pid of the task's process once started or adopted. */
  get pid(): number | undefined {
    return this.identity?.pid;
  }

  async prepare(): Promise<void> {
    if (this.health.error) throw this.health.error;
    await mkdir(this.taskDir, { recursive: true });
    await this.resolve();
  }

  async start(): Promise<void> {
    if (this.exited) throw new Error('process executor: task already started');
    if (this.health.error) throw this.health.error;
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
          this.stopHealthChecks();
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
    if (this.stopAsked) {
      // shutdown() or terminate() came while it was being launched, and found nothing to stop.
      this.logger.info('stopped while starting, killing the task process');
      await this.terminate();
    } else {
      this.startHealthChecks(env, cwd);
    }
    if (this.health.settings) await this.untilHealthy();
  }

  /**
   * Resolves with the exit status. When the healthcheck found the task unhealthy and killed
   * it, the status has `unhealthy` set and UNHEALTHY_REASON as its reason, so the task fails
   * with swarmkit's "task: non-zero exit (137): dockerexec: unhealthy container".
   */
  wait(): Promise<ExitStatus> {
    if (!this.exited) {
      return Promise.reject(new Error('process executor: task not started'));
    }
    return this.exited.then((status) => this.finalStatus(status));
  }

  async shutdown(gracePeriodMs: number): Promise<void> {
    this.stopAsked = true;
    // Before the stop signal: a check failing while the task stops is not ill health.
    this.stopHealthChecks();
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
    this.stopAsked = true;
    this.stopHealthChecks();
    if (!(await this.running())) return;
    signalGroup(this.identity!.pid, 'SIGKILL');
    await this.exited;
  }

  async remove(): Promise<void> {
    this.stopAsked = true;
    if (!this.exited) {
      // A controller made only to clean up (after an agent restart) has not adopted the task;
      // its process may still run: find it by its pid file, or it would be orphaned for good.
      const id = await readPidFile(this.pidFile);
      if (id && (await isAlive(id))) {
        this.identity = id;
        this.exited = this.pollUntilGone(id);
      }
    }
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
    if (this.health.error) {
      this.logger.warn('not running its healthcheck', { error: this.health.error.message });
    } else {
      // Its start time is unknown here: the start period, if any, counts from the adoption.
      this.startHealthChecks(taskEnv(this.spec, this.task), this.spec.Dir || this.taskDir);
    }
    return true;
  }

  /**
   * The task's output from stdout.log and stderr.log; see readTaskLogs() for the order of the
   * two streams and how follow works. Throws LogOptionUnsupportedError at once for
   * `timestamps` or `sinceMs`, which these files cannot honour. Works after the task has ended
   * and from a fresh controller (after an agent restart), until remove().
   */
  logs(opts: LogOptions): AsyncIterable<LogEntry> {
    checkProcessLogOptions(opts);
    return readTaskLogs(
      {
        stdoutPath: path.join(this.taskDir, 'stdout.log'),
        stderrPath: path.join(this.taskDir, 'stderr.log'),
        alive: () => this.taskAlive(),
        pollMs: this.logPollMs,
      },
      opts,
    );
  }

  /** Whether the task's process runs, also for a controller that neither started nor adopted it. */
  private async taskAlive(): Promise<boolean> {
    if (this.exited) return this.running();
    const id = await readPidFile(this.pidFile);
    return id !== undefined && (await isAlive(id));
  }

  /** The status wait() reports for how the process ended. */
  private finalStatus(status: ExitStatus): ExitStatus {
    return this.unhealthy ? { ...status, reason: UNHEALTHY_REASON, unhealthy: true } : status;
  }

  async awaitHealthy(): Promise<void> {
    // adopt() restarted the checks; without settings (or with a bad one) nothing is checked.
    if (this.health.settings && !this.health.error && this.exited) await this.untilHealthy();
  }

  /**
   * start()'s wait for the first passing check (swarmkit's Start waits for the engine's
   * `health_status: healthy`). Rejects with a TaskExitError when the process ends first:
   * killed as unhealthy, stopped, or exited non-zero; one that exits 0 first leaves wait() to
   * report it.
   */
  private async untilHealthy(): Promise<void> {
    const outcome = await Promise.race([
      this.firstHealthy.then(() => 'healthy' as const),
      this.exited!.then((status) => this.finalStatus(status)),
    ]);
    if (outcome === 'healthy') {
      this.logger.info('task is healthy: running');
      return;
    }
    if (outcome.exitCode === 0 && !outcome.unhealthy) return;
    throw new TaskExitError(outcome);
  }

  private startHealthChecks(env: Record<string, string>, cwd: string): void {
    const settings = this.health.settings;
    if (!settings || this.exitStatus) return;
    this.healthChecker = new HealthChecker({
      settings,
      probe: (signal) => runHealthProbe(settings.command, { env, cwd }, signal),
      onHealthy: () => this.markHealthy(),
      onUnhealthy: (last) => {
        this.unhealthy = true;
        this.logger.warn('task is unhealthy, killing it', {
          retries: settings.retries,
          lastExitCode: last.exitCode,
          lastOutput: last.output,
        });
        this.terminate().catch((e: unknown) =>
          this.logger.error('cannot kill unhealthy task', { error: (e as Error).message }),
        );
      },
      timers: this.healthTimers,
      logger: this.logger,
    });
    this.healthChecker.start();
  }

  private stopHealthChecks(): void {
    this.healthChecker?.stop();
    this.healthChecker = undefined;
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
        this.stopHealthChecks();
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
    const env = taskEnv(this.spec, this.task);
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
