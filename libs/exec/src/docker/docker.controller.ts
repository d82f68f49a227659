import { type Readable } from 'node:stream';
import { type Task } from '@shoal/api';
import { type Logger } from '@shoal/common';
import type Docker from 'dockerode';
import {
  type Controller,
  type ExitStatus,
  type LogEntry,
  type LogOptions,
  TaskExitError,
  UNHEALTHY_REASON,
} from '../executor.port';
import {
  type ContainerConfig,
  SWARM_LABEL,
  containerConfig,
  unmappedFields,
} from './container-config';
import { DockerEngineError, engineDetail, engineError, statusOf } from './engine-error';
import { type HealthVerdict, jsonLines, watchHealth } from './health.watcher';
import { LogDemuxer } from './log-demux';

/**
 * Registry credentials for a pull: the `X-Registry-Auth` value as a client sent it with the
 * service (base64url JSON), or the fields themselves.
 */
export type RegistryAuth =
  | string
  | {
      username?: string;
      password?: string;
      email?: string;
      serveraddress?: string;
      identitytoken?: string;
      registrytoken?: string;
    };

export type RegistryAuthSource =
  RegistryAuth | (() => RegistryAuth | undefined | Promise<RegistryAuth | undefined>);

export interface DockerControllerOptions {
  docker: Docker;
  task: Task;
  nodeId: string;
  /** The service's name for the container name and labels; the service ID when absent. */
  serviceName?: string;
  logger: Logger;
  /**
   * Credentials for pulling the image, or where to get them at prepare(). Without them, a
   * swarmkit-style `ContainerSpec.PullOptions.RegistryAuth` on the task is used if present.
   * Never logged.
   */
  authConfig?: RegistryAuthSource;
}

/** Docker's own default when a spec sets no StopGracePeriod. */
const DEFAULT_STOP_GRACE_MS = 10_000;

/** Milliseconds since the epoch as the engine's `seconds.nanoseconds` timestamp. */
export function engineTimestamp(ms: number): string {
  const t = Math.max(0, ms);
  const seconds = Math.floor(t / 1000);
  const nanos = Math.round((t - seconds * 1000) * 1e6);
  return `${seconds}.${String(Math.min(nanos, 999_999_999)).padStart(9, '0')}`;
}

function hasHealthcheck(info: Docker.ContainerInspectInfo): boolean {
  const test = info.Config?.Healthcheck?.Test ?? [];
  return test.length > 0 && test[0] !== 'NONE';
}

/**
 * Runs one task as a Docker container named and labelled as Swarm would
 * (container-config.ts). The container, found again by its name, is the only state: a new
 * controller for the same task (after an agent restart) sees what the old one left.
 *
 * adopt() adopts only a container that is running. One that exists but has stopped is not
 * adopted: TaskController then goes through prepare() and start() as for a new task, and
 * those take the existing container as it is — prepare() does not create another and start()
 * does not start it again, since a task runs once (swarmkit's ErrTaskStarted) — so wait()
 * reports how it really ended and the task ends complete or failed with its own exit code,
 * rather than `running` followed by an exit the agent did not see.
 *
 * Health, as swarmkit's container controller: for a container with a health check (not
 * `NONE`), start() resolves only once the engine reports it healthy, so the task stays
 * `starting` until then; if the engine reports it unhealthy first, the container is stopped
 * (StopSignal, then kill after StopGracePeriod) and start() rejects with a TaskExitError:
 * "task: non-zero exit (<its exit code>): dockerexec: unhealthy container". A container that
 * exits before its first healthy check fails the start with its exit (one that exits 0 is
 * left for wait() to report, as swarmkit does). While wait() follows a running
 * container, `health_status: unhealthy` stops it the same way, and wait() reports the exit
 * with `unhealthy` set. Both listen to the engine's events (health.watcher.ts).
 */
export class DockerController implements Controller {
  readonly name: string;
  private readonly task: Task;
  private readonly docker: Docker;
  private readonly config: ContainerConfig;
  private readonly logger: Logger;
  private readonly authConfig?: RegistryAuthSource;
  private id?: string;
  private started = false;
  private healthcheck = false;
  private stopping = false;
  private exited?: Promise<ExitStatus>;

  constructor(opts: DockerControllerOptions) {
    if (!opts.task.ID) throw new Error('docker executor: the task has no ID');
    this.task = opts.task;
    this.docker = opts.docker;
    this.config = containerConfig(opts.task, {
      nodeId: opts.nodeId,
      ...(opts.serviceName !== undefined ? { serviceName: opts.serviceName } : {}),
    });
    this.name = this.config.name;
    this.authConfig = opts.authConfig;
    this.logger = opts.logger.child({ task: opts.task.ID, container: this.name });
  }

  /** The container's ID once it was created or found. */
  get containerId(): string | undefined {
    return this.id;
  }

  async prepare(): Promise<void> {
    const existing = await this.inspect('prepare');
    if (existing) {
      this.own(existing, 'prepare');
      this.logger.info('container already exists, reusing it', { id: existing.Id });
      return;
    }
    const skipped = unmappedFields(this.task);
    if (skipped.length > 0) {
      this.logger.warn('task settings the docker executor does not apply yet', { skipped });
    }
    await this.ensureImage();
    const { name, ...body } = this.config;
    try {
      // _query/_body: dockerode would otherwise also send the whole body in the URL.
      const created = await this.docker.createContainer({
        _query: { name },
        _body: body,
      } as unknown as Docker.ContainerCreateOptions);
      this.id = created.id;
      this.logger.info('container created', { id: created.id, image: body.Image });
    } catch (e) {
      if (statusOf(e) !== 409) throw engineError('create', name, e);
      // Lost a race with another prepare() of the same task: take what it made.
      const raced = await this.inspect('create');
      if (!raced) throw engineError('create', name, e);
      this.own(raced, 'create');
    }
  }

  async start(): Promise<void> {
    const info = await this.inspect('start');
    if (!info) {
      throw new DockerEngineError(`docker: start ${this.name}: no such container`, 404);
    }
    this.own(info, 'start');
    this.healthcheck = hasHealthcheck(info);
    if (info.State.Status !== 'created') {
      this.logger.info('container has run already; not starting it again', {
        status: info.State.Status,
      });
      this.started = true;
      return;
    }
    if (this.stopping) {
      throw new DockerEngineError(`docker: start ${this.name}: stopped before it started`);
    }
    try {
      await this.container().start();
    } catch (e) {
      if (statusOf(e) !== 304) throw engineError('start', this.name, e);
    }
    this.started = true;
    this.logger.info('container started', { id: this.id });
    if (this.stopping) {
      // shutdown() came while the engine was starting it, and may have found nothing to stop.
      await this.terminate();
      throw new TaskExitError(await this.exitStatus());
    }
    if (this.healthcheck) await this.untilHealthy();
  }

  async awaitHealthy(): Promise<void> {
    if (this.healthcheck) await this.untilHealthy();
  }

  /** start()'s wait for the engine's first `health_status: healthy`. */
  private async untilHealthy(): Promise<void> {
    const watching = new AbortController();
    let verdict: HealthVerdict;
    try {
      verdict = await watchHealth({
        docker: this.docker,
        container: this.id ?? this.name,
        name: this.name,
        mode: 'start',
        signal: watching.signal,
        logger: this.logger,
      });
    } finally {
      watching.abort();
    }
    switch (verdict) {
      case 'healthy':
        this.logger.info('container healthy: running');
        return;
      case 'unhealthy':
        throw new TaskExitError(await this.stopUnhealthy());
      case 'removed':
        throw new DockerEngineError(`docker: start ${this.name}: the container was removed`, 404);
      default: {
        // It exited before any check passed (or was stopped): as swarmkit, a zero exit is
        // left for wait() to report, anything else fails the start.
        const status = await this.exitStatus();
        if (status.exitCode !== 0) throw new TaskExitError(status);
      }
    }
  }

  /** Stops a container found unhealthy, and its exit status as wait() reports it. */
  private async stopUnhealthy(): Promise<ExitStatus> {
    this.logger.warn('container unhealthy, stopping it');
    try {
      await this.shutdown(this.stopGraceMs());
    } catch (e) {
      this.logger.warn('could not stop the unhealthy container', { error: (e as Error).message });
    }
    const status = await this.exitStatus();
    return { ...status, reason: UNHEALTHY_REASON, unhealthy: true };
  }

  wait(): Promise<ExitStatus> {
    if (!this.started) {
      return Promise.reject(new Error(`docker: wait ${this.name}: not started`));
    }
    this.exited ??= this.follow();
    return this.exited;
  }

  async shutdown(gracePeriodMs: number): Promise<void> {
    this.stopping = true;
    const t = Math.ceil(Math.max(0, gracePeriodMs) / 1000);
    try {
      await this.container().stop({ t });
      this.logger.info('container stopped', { graceSeconds: t });
    } catch (e) {
      // 304: not running; 404: gone. Either way nothing is left to stop.
      const status = statusOf(e);
      if (status !== 304 && status !== 404) throw engineError('stop', this.name, e);
    }
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    const c = this.container();
    try {
      await c.kill();
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return;
      // 409: not running, which is what we want.
      if (status !== 409) throw engineError('kill', this.name, e);
    }
    try {
      await c.wait();
    } catch (e) {
      if (statusOf(e) !== 404) throw engineError('wait', this.name, e);
    }
  }

  async remove(): Promise<void> {
    this.stopping = true;
    try {
      await this.container().remove({ force: true, v: true });
      this.logger.info('container removed');
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return;
      if (status === 409 && /already in progress/i.test(engineDetail(e))) return;
      throw engineError('remove', this.name, e);
    }
  }

  async adopt(): Promise<boolean> {
    const info = await this.inspect('adopt');
    if (!info || info.Config?.Labels?.[SWARM_LABEL.taskId] !== this.task.ID) return false;
    if (!info.State.Running) {
      this.logger.info('container exists but is not running; not adopting it', {
        status: info.State.Status,
      });
      return false;
    }
    this.id = info.Id;
    this.healthcheck = hasHealthcheck(info);
    this.started = true;
    this.logger.info('adopted running container', { id: info.Id });
    return true;
  }

  async *logs(opts: LogOptions): AsyncGenerator<LogEntry> {
    if (opts.signal.aborted) return;
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.container().inspect({ abortSignal: opts.signal });
    } catch (e) {
      if (opts.signal.aborted) return;
      throw engineError('logs', this.name, e);
    }
    const query: Record<string, unknown> = {
      stdout: true,
      stderr: true,
      follow: opts.follow,
      timestamps: opts.timestamps,
    };
    if (opts.tail !== undefined) query.tail = Math.max(0, Math.floor(opts.tail));
    if (opts.sinceMs !== undefined) query.since = engineTimestamp(opts.sinceMs);
    let body: Readable;
    try {
      body = await this.stream(
        `/containers/${encodeURIComponent(info.Id)}/logs?`,
        query,
        opts.signal,
      );
    } catch (e) {
      if (opts.signal.aborted) return;
      throw engineError('logs', this.name, e);
    }
    const demux = new LogDemuxer({ tty: info.Config?.Tty === true, timestamps: opts.timestamps });
    const onAbort = () => body.destroy();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of body) {
        yield* demux.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      }
      if (!opts.signal.aborted) yield* demux.end();
    } catch (e) {
      if (opts.signal.aborted) return;
      throw engineError('logs', this.name, e);
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
      body.destroy();
    }
  }

  private container(): Docker.Container {
    return this.docker.getContainer(this.id ?? this.name);
  }

  /** The container, or undefined when there is none by that name. */
  private async inspect(op: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.container().inspect();
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw engineError(op, this.name, e);
    }
  }

  /** Takes `info` as this task's container, or refuses a stranger that has its name. */
  private own(info: Docker.ContainerInspectInfo, op: string): void {
    const owner = info.Config?.Labels?.[SWARM_LABEL.taskId];
    if (owner !== this.task.ID) {
      throw new DockerEngineError(
        `docker: ${op} ${this.name}: the name is taken by a container that is not this task's (task id label "${owner ?? ''}")`,
        409,
      );
    }
    this.id = info.Id;
  }

  private async ensureImage(): Promise<void> {
    const image = this.config.Image;
    if (image === '') {
      throw new DockerEngineError(`docker: prepare ${this.name}: the task names no image`);
    }
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (e) {
      if (statusOf(e) !== 404) throw engineError('inspect image', image, e);
    }
    this.logger.info('pulling image', { image });
    const auth = await this.registryAuth();
    let progress: NodeJS.ReadableStream;
    try {
      progress = await this.docker.pull(image, auth === undefined ? {} : { authconfig: auth });
    } catch (e) {
      throw engineError('pull', image, e);
    }
    // A pull that fails midway still answers 200; the failure is a message in the stream.
    let failure: string | undefined;
    try {
      for await (const msg of jsonLines(progress)) {
        if (msg.error !== undefined) {
          const detail = (msg.errorDetail as { message?: unknown } | undefined)?.message;
          failure = typeof detail === 'string' ? detail : String(msg.error);
        }
      }
    } catch (e) {
      throw engineError('pull', image, e);
    }
    if (failure !== undefined) throw new DockerEngineError(`docker: pull ${image}: ${failure}`);
    this.logger.info('image pulled', { image });
  }

  /** The credentials as docker-modem wants them; a string goes out as the header verbatim. */
  private async registryAuth(): Promise<Record<string, unknown> | undefined> {
    const source = this.authConfig;
    let auth = typeof source === 'function' ? await source() : source;
    auth ??= (this.task.Spec?.ContainerSpec as { PullOptions?: { RegistryAuth?: unknown } })
      ?.PullOptions?.RegistryAuth as RegistryAuth | undefined;
    if (auth === undefined || auth === '') return undefined;
    return typeof auth === 'string' ? { base64: auth } : { ...auth };
  }

  private stopGraceMs(): number {
    const ns = this.task.Spec?.ContainerSpec?.StopGracePeriod;
    return typeof ns === 'number' && ns >= 0 ? ns / 1e6 : DEFAULT_STOP_GRACE_MS;
  }

  /** A GET whose body always comes back as a stream (dockerode buffers some, and parses JSON). */
  private stream(
    path: string,
    query: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Readable> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        {
          path,
          method: 'GET',
          options: query,
          abortSignal: signal,
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (err, data) => (err ? reject(err) : resolve(data as Readable)),
      );
    });
  }

  private async follow(): Promise<ExitStatus> {
    const exit = this.exitStatus();
    if (!this.healthcheck) return exit;
    exit.catch(() => undefined); // the race below may leave it unobserved
    const watching = new AbortController();
    try {
      // A fresh never-settling promise per call: a shared one would collect a reaction from
      // every task ever followed and keep them all alive.
      const unhealthy = watchHealth({
        docker: this.docker,
        container: this.id ?? this.name,
        name: this.name,
        mode: 'running',
        signal: watching.signal,
        logger: this.logger,
      }).then((seen) => (seen === 'unhealthy' ? true : new Promise<never>(() => undefined)));
      const first = await Promise.race([exit, unhealthy]);
      if (first !== true || this.stopping) return await exit;
    } finally {
      watching.abort();
    }
    return this.stopUnhealthy();
  }

  private async exitStatus(): Promise<ExitStatus> {
    let code: number;
    try {
      const res = (await this.container().wait()) as { StatusCode?: number };
      code = res.StatusCode ?? -1;
    } catch (e) {
      throw engineError('wait', this.name, e);
    }
    let state: Docker.ContainerInspectInfo['State'];
    try {
      state = (await this.container().inspect()).State;
    } catch {
      return { exitCode: code };
    }
    const exitCode = typeof state.ExitCode === 'number' ? state.ExitCode : code;
    this.logger.info('container exited', { exitCode, oomKilled: state.OOMKilled });
    if (state.OOMKilled) return { exitCode, reason: 'OOMKilled' };
    if (state.Error) return { exitCode, reason: state.Error };
    return { exitCode };
  }
}
