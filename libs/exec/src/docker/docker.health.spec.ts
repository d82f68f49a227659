import { PassThrough } from 'node:stream';
import { type ContainerSpec, type Task } from '@shoal/api';
import { nullLogger } from '@shoal/common';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { TaskExitError, UNHEALTHY_REASON } from '../executor.port';
import { SWARM_LABEL } from './container-config';
import { DockerController } from './docker.controller';
import { type HealthVerdict, watchHealth } from './health.watcher';

/**
 * The docker executor's health handling against a scripted engine (no dockerd): what start()
 * and wait() do with the engine's health events. The real engine is covered by
 * docker.executor.spec.ts and test/e2e/docker-health.test.ts.
 */

const ID = 'c0ffee';
const TASK_ID = 'task1';

interface State {
  Status: string;
  Running: boolean;
  ExitCode: number;
  Health?: { Status: string };
}

/** One container on a pretend engine, with its event stream(s). */
class FakeEngine {
  readonly calls: string[] = [];
  readonly subscriptions: Array<Record<string, string[]>> = [];
  readonly streams: PassThrough[] = [];
  state: State = { Status: 'created', Running: false, ExitCode: 0 };
  failEvents = false;
  private exited?: { code: number };
  private readonly waiters: Array<(code: number) => void> = [];

  constructor(private readonly healthcheck?: string[]) {}

  asDocker(): Docker {
    return this as unknown as Docker;
  }

  getEvents(opts: { filters: Record<string, string[]> }): Promise<PassThrough> {
    if (this.failEvents) return Promise.reject(new Error('connect ECONNREFUSED'));
    this.subscriptions.push(opts.filters);
    const s = new PassThrough();
    this.streams.push(s);
    return Promise.resolve(s);
  }

  getContainer(_ref: string) {
    return {
      inspect: () =>
        Promise.resolve({
          Id: ID,
          Config: {
            Labels: { [SWARM_LABEL.taskId]: TASK_ID },
            ...(this.healthcheck ? { Healthcheck: { Test: this.healthcheck } } : {}),
          },
          State: structuredClone(this.state),
        }),
      start: () => {
        this.calls.push('start');
        this.state = {
          Status: 'running',
          Running: true,
          ExitCode: 0,
          ...(this.healthcheck && this.healthcheck[0] !== 'NONE'
            ? { Health: { Status: 'starting' } }
            : {}),
        };
        return Promise.resolve();
      },
      stop: (o: { t: number }) => {
        this.calls.push(`stop t=${o.t}`);
        if (!this.state.Running)
          return Promise.reject(Object.assign(new Error('x'), { statusCode: 304 }));
        this.exit(143);
        return Promise.resolve();
      },
      kill: () => {
        this.calls.push('kill');
        this.exit(137);
        return Promise.resolve();
      },
      wait: () =>
        new Promise<{ StatusCode: number }>((resolve) => {
          if (this.exited) resolve({ StatusCode: this.exited.code });
          else this.waiters.push((code) => resolve({ StatusCode: code }));
        }),
    };
  }

  /** Sends an event to every open subscription. */
  emit(action: string): void {
    const line = `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID } })}\n`;
    for (const s of this.streams) if (!s.destroyed) s.write(line);
  }

  health(status: 'healthy' | 'unhealthy'): void {
    if (this.state.Health) this.state.Health.Status = status;
    this.emit(`health_status: ${status}`);
  }

  exit(code: number): void {
    if (this.exited) return;
    this.exited = { code };
    this.state = { ...this.state, Status: 'exited', Running: false, ExitCode: code };
    for (const w of this.waiters.splice(0)) w(code);
    this.emit('die');
  }

  get openStreams(): number {
    return this.streams.filter((s) => !s.destroyed).length;
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function controller(engine: FakeEngine, spec: ContainerSpec = {}): DockerController {
  const task: Task = {
    ID: TASK_ID,
    ServiceID: 'svc',
    Slot: 1,
    Spec: { ContainerSpec: { Image: 'busybox:local', StopGracePeriod: 2e9, ...spec } },
  };
  return new DockerController({
    docker: engine.asDocker(),
    task,
    nodeId: 'n1',
    logger: nullLogger,
  });
}

/** Starts `c`, and reports whether start() has settled yet and how. */
function starting(c: DockerController) {
  const outcome: { settled: boolean; error?: unknown } = { settled: false };
  const done = c.start().then(
    () => void (outcome.settled = true),
    (e: unknown) => {
      outcome.settled = true;
      outcome.error = e;
    },
  );
  return { outcome, done };
}

const HC = ['CMD-SHELL', 'check'];

describe('DockerController: start() waits for the engine to report the container healthy', () => {
  it('resolves only at health_status: healthy', async () => {
    const engine = new FakeEngine(HC);
    const { outcome, done } = starting(controller(engine));
    for (let i = 0; i < 5; i++) await tick();
    expect(engine.calls).toEqual(['start']);
    expect(outcome.settled).toBe(false);
    expect(engine.subscriptions).toEqual([
      { type: ['container'], container: [ID], event: ['health_status', 'die', 'destroy'] },
    ]);
    engine.health('healthy');
    await done;
    expect(outcome).toEqual({ settled: true });
    expect(engine.openStreams).toBe(0);
  });

  it('unhealthy first: stops the container with its grace period and fails the start', async () => {
    const engine = new FakeEngine(HC);
    const { outcome, done } = starting(controller(engine));
    await tick();
    engine.health('unhealthy');
    await done;
    expect(engine.calls).toEqual(['start', 'stop t=2']);
    expect(outcome.error).toBeInstanceOf(TaskExitError);
    const err = outcome.error as TaskExitError;
    expect(err.message).toBe(`task: non-zero exit (143): ${UNHEALTHY_REASON}`);
    expect(err.status).toEqual({ exitCode: 143, reason: UNHEALTHY_REASON, unhealthy: true });
  });

  it('a container that dies first fails the start with its exit; one that exits 0 does not', async () => {
    const engine = new FakeEngine(HC);
    const { outcome, done } = starting(controller(engine));
    await tick();
    engine.exit(3);
    await done;
    expect((outcome.error as Error).message).toBe('task: non-zero exit (3)');

    const zero = new FakeEngine(HC);
    const c = controller(zero);
    const ok = starting(c);
    await tick();
    zero.exit(0);
    await ok.done;
    expect(ok.outcome).toEqual({ settled: true });
    expect(await c.wait()).toEqual({ exitCode: 0 });
  });

  it('shutdown() during the wait stops the container and ends start() at once', async () => {
    const engine = new FakeEngine(HC);
    const c = controller(engine);
    const { outcome, done } = starting(c);
    await tick();
    await c.shutdown(5_000);
    await done;
    expect(engine.calls).toEqual(['start', 'stop t=5']);
    expect((outcome.error as TaskExitError).status).toEqual({ exitCode: 143 });
  });

  it('a container already healthy when inspected needs no event', async () => {
    const engine = new FakeEngine(HC);
    const c = controller(engine);
    const orig = engine.getEvents.bind(engine);
    // The engine turns it healthy between the start and the subscription.
    engine.getEvents = (opts) => {
      engine.state.Health = { Status: 'healthy' };
      return orig(opts);
    };
    await c.start();
    expect(engine.openStreams).toBe(0);
  });

  it('without a healthcheck, or with NONE, start() returns at once and watches nothing', async () => {
    for (const hc of [undefined, ['NONE']]) {
      const engine = new FakeEngine(hc);
      await controller(engine).start();
      expect(engine.calls).toEqual(['start']);
      expect(engine.subscriptions).toEqual([]);
    }
  });

  it('a shutdown() that came before the engine started it leaves nothing running', async () => {
    const engine = new FakeEngine(HC);
    const c = controller(engine);
    await c.shutdown(1_000); // nothing to stop yet
    await expect(c.start()).rejects.toThrow(/stopped before it started/);
    expect(engine.calls).toEqual(['stop t=1']);
  });
});

describe('DockerController: wait() on a running container', () => {
  it('stops a container that turns unhealthy and reports the exit with unhealthy set', async () => {
    const engine = new FakeEngine(HC);
    const c = controller(engine);
    const started = c.start();
    await tick();
    engine.health('healthy');
    await started;
    const exit = c.wait();
    await tick();
    engine.health('healthy'); // no effect
    await tick();
    engine.health('unhealthy');
    expect(await exit).toEqual({ exitCode: 143, reason: UNHEALTHY_REASON, unhealthy: true });
    expect(engine.calls).toEqual(['start', 'stop t=2']);
  });
});

describe('watchHealth', () => {
  const watch = (engine: FakeEngine, mode: 'start' | 'running', signal?: AbortSignal) =>
    watchHealth({
      docker: engine.asDocker(),
      container: ID,
      name: 'svc.1.task1',
      mode,
      signal: signal ?? new AbortController().signal,
      logger: nullLogger,
    });

  it('subscribes again when the event stream ends without a verdict', async () => {
    const engine = new FakeEngine(HC);
    engine.state = {
      Status: 'running',
      Running: true,
      ExitCode: 0,
      Health: { Status: 'starting' },
    };
    const verdict = watch(engine, 'start');
    await tick();
    engine.streams[0]!.end();
    await tick();
    await tick();
    expect(engine.subscriptions).toHaveLength(2);
    engine.emit('health_status: healthy');
    expect(await verdict).toBe<HealthVerdict>('healthy');
  });

  it('running mode: only unhealthy ends it; destroy and die do not', async () => {
    const engine = new FakeEngine(HC);
    engine.state = { Status: 'running', Running: true, ExitCode: 0, Health: { Status: 'healthy' } };
    let verdict: HealthVerdict | undefined;
    const watching = watch(engine, 'running').then((v) => (verdict = v));
    await tick();
    expect(engine.subscriptions[0]).toMatchObject({ event: ['health_status'] });
    engine.emit('health_status: healthy');
    engine.emit('die');
    await tick();
    expect(verdict).toBeUndefined();
    engine.emit('health_status: unhealthy');
    await watching;
    expect(verdict).toBe('unhealthy');
  });

  it('start mode: destroy is `removed`; an abort is `aborted` and closes the stream', async () => {
    const engine = new FakeEngine(HC);
    engine.state = {
      Status: 'running',
      Running: true,
      ExitCode: 0,
      Health: { Status: 'starting' },
    };
    const removed = watch(engine, 'start');
    await tick();
    engine.emit('destroy');
    expect(await removed).toBe('removed');

    const abort = new AbortController();
    const aborted = watch(engine, 'start', abort.signal);
    await tick();
    abort.abort();
    expect(await aborted).toBe('aborted');
    expect(engine.openStreams).toBe(0);
  });

  it('cannot subscribe: an engine error in start mode, `aborted` in running mode', async () => {
    const engine = new FakeEngine(HC);
    engine.failEvents = true;
    await expect(watch(engine, 'start')).rejects.toThrow(
      /^docker: watch health of svc\.1\.task1: connect ECONNREFUSED/,
    );
    expect(await watch(engine, 'running')).toBe('aborted');
  });
});
