import { type Task } from '@shoal/api';
import { type Logger, nullLogger } from '@shoal/common';
import Docker from 'dockerode';
import {
  type Controller,
  type EngineDescription,
  type Executor,
  type TaskStatsResult,
} from '../executor.port';
import { containerName } from './container-config';
import { type EngineStats, usageFromEngineStats } from './container-stats';
import { DockerController, type RegistryAuth } from './docker.controller';
import { engineError, statusOf } from './engine-error';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Stats requests in flight at once. Docker 20.10 (measured on the test machine) answers a
 * stats request made within a second of the last one only about a second later, serving all
 * that wait together: six made one after another took 5 s, six at once 1 s. Many in flight
 * keep a sample of a busy node within a second or two.
 */
export const STATS_CONCURRENCY = 32;

/** Finds the registry credentials for a task's image (the service's X-Registry-Auth). */
export type RegistryAuthLookup = (
  task: Task,
) => RegistryAuth | undefined | Promise<RegistryAuth | undefined>;

export interface DockerExecutorOptions {
  /** The engine's API socket. */
  socketPath?: string;
  /** This node's ID, for the `com.docker.swarm.node.id` label and global tasks' names. */
  nodeId: string;
  logger?: Logger;
  registryAuth?: RegistryAuthLookup;
}

/**
 * A task as the dispatcher may send it: swarmkit's tasks carry the service's annotations,
 * which is where the service name for the container name and labels comes from.
 */
type AnnotatedTask = Task & { ServiceAnnotations?: { Name?: string } };

/** "k=v" engine labels (`dockerd --label`) as a record; an entry without "=" has value "". */
export function parseEngineLabels(list: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!Array.isArray(list)) return labels;
  for (const entry of list) {
    if (typeof entry !== 'string' || entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) labels[entry] = '';
    else labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}

/**
 * The docker executor (BRIEF decision 7): runs tasks as containers of the local Docker
 * Engine, through its API on a unix socket. The only module that talks to dockerode.
 */
export class DockerExecutor implements Executor {
  readonly socketPath: string;
  private readonly docker: Docker;
  private readonly nodeId: string;
  private readonly logger: Logger;
  private readonly registryAuth?: RegistryAuthLookup;

  constructor(opts: DockerExecutorOptions) {
    this.socketPath = opts.socketPath ?? DEFAULT_DOCKER_SOCKET;
    this.docker = new Docker({ socketPath: this.socketPath });
    this.nodeId = opts.nodeId;
    this.logger = (opts.logger ?? nullLogger).child({ executor: 'docker' });
    this.registryAuth = opts.registryAuth;
  }

  /**
   * Whether an engine answers `/_ping` on `socketPath`, within `timeoutMs`. Never throws:
   * shoald asks this to choose between the docker and the process executor.
   */
  static async available(
    socketPath: string = DEFAULT_DOCKER_SOCKET,
    timeoutMs = 2_000,
  ): Promise<boolean> {
    try {
      await new Docker({ socketPath, timeout: timeoutMs }).ping();
      return true;
    } catch {
      return false;
    }
  }

  async describe(): Promise<EngineDescription> {
    let version: Docker.DockerVersion;
    let info: { Labels?: unknown; NCPU?: unknown; MemTotal?: unknown };
    try {
      [version, info] = await Promise.all([this.docker.version(), this.docker.info()]);
    } catch (e) {
      throw engineError('describe', this.socketPath, e);
    }
    return {
      executor: 'docker',
      engineVersion: version.Version,
      labels: parseEngineLabels(info.Labels),
      nanoCpus: typeof info.NCPU === 'number' ? info.NCPU * 1e9 : 0,
      memoryBytes: typeof info.MemTotal === 'number' ? info.MemTotal : 0,
    };
  }

  /**
   * One stats sample per task's container (container-stats.ts), at most STATS_CONCURRENCY
   * requests at a time. `one-shot` makes the engine answer at once: without it, it waits for
   * a second sample (about a second) to fill in `precpu_stats`, which a cumulative counter does
   * not need. A container that does not exist or does not run is left out.
   */
  async stats(tasks: readonly Task[], signal?: AbortSignal): Promise<TaskStatsResult> {
    const result: TaskStatsResult = { stats: new Map(), errors: [] };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < tasks.length && !signal?.aborted) {
        const task = tasks[next++]!;
        const taskId = task.ID ?? '';
        const serviceName = (task as AnnotatedTask).ServiceAnnotations?.Name;
        // The name the task's controller gave its container (DockerController.name).
        const name = containerName(task, {
          nodeId: this.nodeId,
          ...(serviceName ? { serviceName } : {}),
        });
        try {
          // The query is given apart: dockerode would otherwise send the abort signal to the
          // engine as a query parameter too (`abortSignal={}`).
          const options = {
            stream: false as const,
            ...(signal ? { abortSignal: signal } : {}),
            _query: { stream: false, 'one-shot': true },
          };
          const sample: EngineStats = await this.docker.getContainer(name).stats(options);
          const usage = usageFromEngineStats(sample);
          if (usage) result.stats.set(taskId, usage);
        } catch (e) {
          if (statusOf(e) === 404 || signal?.aborted) continue;
          result.errors.push({ taskId, error: engineError('stats', name, e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, tasks.length) }, lane));
    return result;
  }

  controller(task: Task): Controller {
    const lookup = this.registryAuth;
    const serviceName = (task as AnnotatedTask).ServiceAnnotations?.Name;
    return new DockerController({
      docker: this.docker,
      task,
      nodeId: this.nodeId,
      logger: this.logger,
      ...(serviceName ? { serviceName } : {}),
      ...(lookup ? { authConfig: () => lookup(task) } : {}),
    });
  }
}
