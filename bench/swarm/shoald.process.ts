import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../test/support/free-port';
import { unixRequest } from '../../test/support/shoald/unix-http';
import { sleep } from './timing';

/**
 * One shoald process run from a given entry point (the run's pinned copy of the build), with
 * its state dir, socket and a free loopback cluster port in a temp dir of its own. The same
 * life cycle as test/support's ShoaldProcess (start until `/_ping` answers, kill -9, SIGTERM
 * with a SIGKILL fallback, dispose), which always runs the repo's live dist/.
 */
export class ShoaldProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  /** The tail of its stderr, for error reports. */
  stderr = '';

  constructor(
    readonly main: string,
    readonly o: { stateDir: string; socket: string; listenAddr: string },
    readonly dir: string,
  ) {}

  static async inTempDir(main: string, prefix: string): Promise<ShoaldProcess> {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    try {
      const [port] = await freePorts(1);
      return new ShoaldProcess(
        main,
        {
          stateDir: path.join(dir, 'state'),
          socket: path.join(dir, 'shoal.sock'),
          listenAddr: `127.0.0.1:${port}`,
        },
        dir,
      );
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get socket(): string {
    return this.o.socket;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns it (again, on the same state dir, after a stop) and waits until it answers. */
  async start(timeoutMs = 20_000): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        this.main,
        '--state-dir',
        this.o.stateDir,
        '--socket',
        this.o.socket,
        '--listen-addr',
        this.o.listenAddr,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-8_000);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`shoald exited with ${child.exitCode ?? child.signalCode}: ${this.stderr}`);
      }
      try {
        if ((await unixRequest(this.o.socket, 'GET', '/_ping', undefined, 1_000)).status === 200) {
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(
      `shoald did not answer on ${this.o.socket} within ${timeoutMs} ms: ${this.stderr}`,
    );
  }

  /** kill -9, and wait until it is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (SIGKILL after `killAfterMs`); the exit code, null if it had to be killed. */
  async stop(killAfterMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return child?.exitCode ?? null;
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return await this.exited!;
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9 and remove the temp dir. */
  async dispose(): Promise<void> {
    await this.kill9();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** For a process `exit` hook, where nothing asynchronous runs any more. */
  killSync(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
