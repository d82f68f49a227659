import os from 'node:os';
import path from 'node:path';
import { type Task } from '@shoal/api';
import { type Logger, nullLogger } from '@shoal/common';
import {
  type Controller,
  type EngineDescription,
  type Executor,
  type TaskStatsResult,
} from '../executor.port';
import { type ProcessIdentity, readPidFile } from './proc';
import { readSessionStats } from './proc-stats';
import { ProcessController, processTaskDir } from './process.controller';

export interface ProcessExecutorOptions {
  /** Where task directories live: `<stateDir>/tasks/<taskId>/{pid,stdout.log,stderr.log}`. */
  stateDir: string;
  logger?: Logger;
}

/**
 * The process executor (BRIEF decision 7; semantics after Nomad's raw_exec): runs a task's
 * ContainerSpec `Command` + `Args` (Command[0] is the program; with no Command, Args[0]) with
 * `Env` (on top of a minimal PATH) in `Dir` (default: the task directory) as a host process,
 * in its own process group, stdin closed, stdout and stderr appended to log files.
 *
 * No isolation: `Image` is recorded in the task but NOT used — nothing is pulled and the
 * program runs from the host's filesystem as the agent's user. `User`, `Mounts`, resource
 * limits and the other container-only fields are ignored as well.
 */
export class ProcessExecutor implements Executor {
  private readonly stateDir: string;
  private readonly logger: Logger;

  constructor(opts: ProcessExecutorOptions) {
    this.stateDir = opts.stateDir;
    this.logger = (opts.logger ?? nullLogger).child({ executor: 'process' });
  }

  async describe(): Promise<EngineDescription> {
    return {
      executor: 'process',
      engineVersion: `node ${process.version}`,
      labels: {},
      nanoCpus: os.availableParallelism() * 1e9,
      memoryBytes: os.totalmem(),
    };
  }

  controller(task: Task): Controller {
    return new ProcessController({ task, stateDir: this.stateDir, logger: this.logger });
  }

  /**
   * From /proc (proc-stats.ts): each task is found by its pid file, so tasks adopted after an
   * agent restart are measured too. Without /proc (start time unknown) nothing is reported.
   */
  async stats(tasks: readonly Task[], signal?: AbortSignal): Promise<TaskStatsResult> {
    const result: TaskStatsResult = { stats: new Map(), errors: [] };
    const found = new Map<string, ProcessIdentity>();
    await Promise.all(
      tasks.map(async (task) => {
        const taskId = task.ID ?? '';
        try {
          const id = await readPidFile(path.join(processTaskDir(this.stateDir, taskId), 'pid'));
          if (id && id.startTime !== null) found.set(taskId, id);
        } catch (e) {
          result.errors.push({ taskId, error: e as Error });
        }
      }),
    );
    if (signal?.aborted) return result;
    result.stats = await readSessionStats(found);
    return result;
  }
}
