import { type Task } from '@shoal/api';
import {
  type Controller,
  type EngineDescription,
  type Executor,
  type ExitStatus,
} from '../executor.port';

/** The Controller methods a RecordingController records. */
export type ControllerOp =
  'adopt' | 'awaitHealthy' | 'prepare' | 'start' | 'wait' | 'shutdown' | 'terminate' | 'remove';

export interface RecordedCall {
  taskId: string;
  op: ControllerOp;
  /** shutdown's grace period. */
  gracePeriodMs?: number;
}

/**
 * How one scripted step ends: 'ok' resolves at once, an Error (or message) rejects with it,
 * 'hold' parks the call until the test calls `release(op)`.
 */
export type StepOutcome = 'ok' | 'hold' | Error | string;

export interface ControllerScript {
  prepare?: StepOutcome;
  start?: StepOutcome;
  shutdown?: StepOutcome;
  /** When set, the controller has adopt() and it resolves to this. */
  adopt?: boolean;
  /** When set, the controller has awaitHealthy(), which ends this way. */
  awaitHealthy?: StepOutcome;
  /** When set, the task exits with this status right after start() (or adopt()). */
  exit?: ExitStatus | number;
  /** What wait() reports after shutdown(). Default 143 (SIGTERM). */
  shutdownExit?: ExitStatus | number;
}

export interface RecordingExecutorOptions {
  description?: Partial<EngineDescription>;
  /** The script for each new controller; default: every step succeeds and waits for exit(). */
  script?: (task: Task) => ControllerScript;
}

interface Parked {
  resolve: () => void;
  reject: (e: Error) => void;
}

const toStatus = (s: ExitStatus | number): ExitStatus =>
  typeof s === 'number' ? { exitCode: s } : s;

/**
 * A fake engine task: records every call (here and in the executor's shared log) and does what
 * its script says. The running "workload" exits when the test calls exit(), on shutdown() and
 * terminate(), or at once when the script gives `exit`.
 */
export class RecordingController implements Controller {
  readonly calls: RecordedCall[] = [];
  readonly adopt?: () => Promise<boolean>;
  readonly awaitHealthy?: () => Promise<void>;
  private readonly parked = new Map<ControllerOp, Parked>();
  private exitStatus: ExitStatus | undefined;
  private readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private running = false;
  removed = false;

  constructor(
    readonly taskId: string,
    readonly script: ControllerScript,
    private readonly log: RecordedCall[],
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    if (script.adopt !== undefined) {
      const adopted = script.adopt;
      this.adopt = () => {
        this.record('adopt');
        if (adopted) this.begin();
        return Promise.resolve(adopted);
      };
    }
    if (script.awaitHealthy !== undefined) {
      const outcome = script.awaitHealthy;
      this.awaitHealthy = () => {
        this.record('awaitHealthy');
        return this.step('awaitHealthy', outcome);
      };
    }
  }

  /** The ops called so far, in order. */
  ops(): ControllerOp[] {
    return this.calls.map((c) => c.op);
  }

  /** True between a successful start() (or adopt()) and the exit. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Settles a call parked by a 'hold' outcome: resolves it, or rejects it with `error`. */
  release(op: ControllerOp, error?: Error | string): void {
    const p = this.parked.get(op);
    if (!p) throw new Error(`${this.taskId}: no ${op}() call is held`);
    this.parked.delete(op);
    if (error === undefined) p.resolve();
    else p.reject(typeof error === 'string' ? new Error(error) : error);
  }

  /** True while a call to `op` is parked. */
  isHeld(op: ControllerOp): boolean {
    return this.parked.has(op);
  }

  /** Makes the workload exit; wait() resolves with this. Later exits are ignored. */
  exit(status: ExitStatus | number = 0): void {
    if (this.exitStatus) return;
    this.exitStatus = toStatus(status);
    this.running = false;
    this.resolveExit(this.exitStatus);
  }

  async prepare(): Promise<void> {
    this.record('prepare');
    await this.step('prepare', this.script.prepare);
  }

  async start(): Promise<void> {
    this.record('start');
    await this.step('start', this.script.start);
    this.begin();
  }

  wait(): Promise<ExitStatus> {
    this.record('wait');
    return this.exited;
  }

  async shutdown(gracePeriodMs: number): Promise<void> {
    this.record('shutdown', gracePeriodMs);
    await this.step('shutdown', this.script.shutdown);
    this.exit(this.script.shutdownExit ?? 143);
  }

  terminate(): Promise<void> {
    this.record('terminate');
    this.exit({ exitCode: 137, reason: 'killed' });
    return Promise.resolve();
  }

  remove(): Promise<void> {
    this.record('remove');
    this.removed = true;
    return Promise.resolve();
  }

  private begin(): void {
    if (this.exitStatus) return;
    this.running = true;
    if (this.script.exit !== undefined) this.exit(this.script.exit);
  }

  private record(op: ControllerOp, gracePeriodMs?: number): void {
    const call: RecordedCall = { taskId: this.taskId, op };
    if (gracePeriodMs !== undefined) call.gracePeriodMs = gracePeriodMs;
    this.calls.push(call);
    this.log.push(call);
  }

  private step(op: ControllerOp, outcome: StepOutcome = 'ok'): Promise<void> {
    if (outcome === 'ok') return Promise.resolve();
    if (outcome === 'hold') {
      if (this.parked.has(op)) throw new Error(`${this.taskId}: ${op}() is already held`);
      return new Promise((resolve, reject) => this.parked.set(op, { resolve, reject }));
    }
    return Promise.reject(typeof outcome === 'string' ? new Error(outcome) : outcome);
  }
}

/**
 * An Executor with no engine behind it, for unit tests and the simulated agents: it makes one
 * RecordingController per controller() call, scripted per task, and logs every call of every
 * controller in one list, in order.
 */
export class RecordingExecutor implements Executor {
  /** Every call of every controller, in order. */
  readonly calls: RecordedCall[] = [];
  readonly controllers: RecordingController[] = [];
  private readonly scripts = new Map<string, ControllerScript>();
  private anonymous = 0;

  constructor(private readonly options: RecordingExecutorOptions = {}) {}

  describe(): Promise<EngineDescription> {
    return Promise.resolve({
      executor: 'recording',
      engineVersion: '0.0.0',
      labels: {},
      nanoCpus: 1e9,
      memoryBytes: 1024 ** 3,
      ...this.options.description,
    });
  }

  /** Scripts the next controller made for this task (overrides the options' script). */
  script(taskId: string, script: ControllerScript): this {
    this.scripts.set(taskId, script);
    return this;
  }

  controller(task: Task): RecordingController {
    const taskId = task.ID ?? `task-${++this.anonymous}`;
    const script = this.scripts.get(taskId) ?? this.options.script?.(task) ?? {};
    this.scripts.delete(taskId);
    const c = new RecordingController(taskId, script, this.calls);
    this.controllers.push(c);
    return c;
  }

  /** The latest controller made for this task. */
  controllerFor(taskId: string): RecordingController | undefined {
    for (let i = this.controllers.length - 1; i >= 0; i--) {
      const c = this.controllers[i];
      if (c?.taskId === taskId) return c;
    }
    return undefined;
  }
}
