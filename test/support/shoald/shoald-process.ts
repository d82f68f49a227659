import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RAFT_HOST_NODE_FLAGS } from '@shoal/raft/node';
import { freePorts } from '../free-port';
import { killTaskProcesses } from './task-processes';
import { watchChild, waitUntilServing } from '../child-process';
import { unixRequest } from './unix-http';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The daemon as operators run it: the build output (vitest's globalSetup builds it). */
export const SHOALD_MAIN = path.join(REPO_ROOT, 'dist/apps/shoald/src/main.js');
export const SHOAL_MAIN = path.join(REPO_ROOT, 'dist/apps/cli/src/main.js');

export interface ShoaldOptions {
  /** The daemon's entry point; default the repo's build (SHOALD_MAIN). */
  main?: string;
  stateDir: string;
  socket: string;
  listenAddr: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * In a process group of its own, so a Ctrl-C meant for the caller (the demo) does not stop
   * the daemon before the caller has cleaned up through it.
   */
  detached?: boolean;
}

/** A shoald process with its own state dir, socket and cluster port. */
export class ShoaldProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  stderr = '';

  constructor(
    readonly o: ShoaldOptions,
    /** Removed by dispose(), when the daemon lives in a directory of its own. */
    private readonly tempDir?: string,
  ) {}

  /** A daemon with its state dir and socket in a fresh temp dir and a free loopback port. */
  static async inTempDir(prefix = 'shoald-', main?: string): Promise<ShoaldProcess> {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    const [port] = await freePorts(1);
    return new ShoaldProcess(
      {
        main,
        stateDir: path.join(dir, 'state'),
        socket: path.join(dir, 'shoal.sock'),
        listenAddr: `127.0.0.1:${port}`,
      },
      dir,
    );
  }

  get socket(): string {
    return this.o.socket;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get dir(): string | undefined {
    return this.tempDir;
  }

  /** Stops the daemon (SIGTERM), kills the tasks it left running and removes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    await killTaskProcesses(this.o.stateDir);
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }

  async start(timeoutMs = 20_000): Promise<void> {
    if (!this.o.main && !existsSync(path.join(REPO_ROOT, 'dist/.build-stamp'))) {
      throw new Error(
        'the build is missing or failed (see the global setup output); run npm run build',
      );
    }
    const child = spawn(
      process.execPath,
      [
        // The flags shoald's launcher (its shebang) gives node in production.
        ...RAFT_HOST_NODE_FLAGS,
        this.o.main ?? SHOALD_MAIN,
        '--state-dir',
        this.o.stateDir,
        '--socket',
        this.o.socket,
        '--listen-addr',
        this.o.listenAddr,
        '--log-level',
        'warn',
        // Tasks run as host processes unless a test asks for the docker executor: `auto`
        // would pick docker wherever CI's dockerd runs.
        ...(this.o.extraArgs?.some((a) => a.startsWith('--executor'))
          ? []
          : ['--executor', 'process']),
        ...(this.o.extraArgs ?? []),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...this.o.env },
        detached: this.o.detached ?? false,
      },
    );
    this.child = child;
    this.exited = watchChild(child, (tail) => (this.stderr = tail));
    await waitUntilServing(
      `shoald on ${this.o.socket}`,
      child,
      async () =>
        (await unixRequest(this.o.socket, 'GET', '/_ping', undefined, 1000)).status === 200,
      { timeoutMs, intervalMs: 50, stderr: () => this.stderr },
    );
  }

  /** SIGKILL without waiting, for process `exit` hooks where nothing asynchronous runs. */
  killSync(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** kill -9: no chance to flush or hand anything over. */
  async kill9(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (SIGKILL after `killAfterMs`); resolves with the exit code. Safe to call twice. */
  async stop(killAfterMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return await this.exited!;
    } finally {
      clearTimeout(timer);
    }
  }
}
