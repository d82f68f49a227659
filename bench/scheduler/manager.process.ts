import { type ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { RAFT_HOST_NODE_FLAGS } from '@shoal/raft/node';
import {
  type FromManager,
  type ManagerCommand,
  type ManagerEvent,
  type ToManager,
} from './protocol';

const MAIN = path.join(__dirname, 'manager.main.ts');

export interface ManagerProcessOptions {
  id: string;
  root: string;
  members: { id: string; address: string }[];
  /** Its stderr (warnings and errors of shoald's logger) goes here. */
  logFile: string;
  onEvent?(e: ManagerEvent): void;
  /** Start it with a metrics registry (manager.main.ts --metrics). */
  metrics?: boolean;
}

/** One manager.main.ts process and the request/reply channel to it. */
export class ManagerProcess {
  readonly id: string;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private nextCall = 1;
  private exitCode: number | string | null | undefined;
  readonly exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(o: ManagerProcessOptions) {
    this.id = o.id;
    const log = openSync(o.logFile, 'a');
    this.child = fork(
      MAIN,
      [
        '--id',
        o.id,
        '--root',
        o.root,
        '--members',
        JSON.stringify(o.members),
        ...(o.metrics ? ['--metrics'] : []),
      ],
      {
        // A manager hosts a Raft member: run it with the node flags shoald runs with.
        execArgv: [...RAFT_HOST_NODE_FLAGS, '--import', 'tsx'],
        stdio: ['ignore', log, log, 'ipc'],
      },
    );
    let readied!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      readied = resolve;
      failed = reject;
    });
    this.exited = new Promise<void>((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        const err = new Error(`manager ${o.id} exited (${this.exitCode}); see ${o.logFile}`);
        failed(err);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        resolve();
      }),
    );
    this.child.on('message', (raw) => {
      const m = raw as FromManager;
      if ('event' in m) {
        if (m.event === 'ready') readied();
        o.onEvent?.(m);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if ('error' in m) w.reject(new Error(`${o.id}: ${m.error}`));
      else w.resolve(m.result);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  call<T>(command: ManagerCommand): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`manager ${this.id} is not running`));
    const id = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: (v) => resolve(v as T), reject });
      const msg: ToManager = { id, command };
      this.child.send(msg);
    });
  }

  /** Asks it to stop (leadership is not handed over); SIGKILL if it has not within `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.kill(), ms);
    await this.call({ cmd: 'stop' }).catch(() => undefined);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
