import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { unixRequest } from './unix-http';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The daemon as operators run it: the build output (vitest's globalSetup builds it). */
export const SHOALD_MAIN = path.join(REPO_ROOT, 'dist/apps/shoald/src/main.js');
export const SHOAL_MAIN = path.join(REPO_ROOT, 'dist/apps/cli/src/main.js');

export interface ShoaldOptions {
  stateDir: string;
  socket: string;
  listenAddr: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** A shoald process with its own state dir, socket and cluster port. */
export class ShoaldProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  stderr = '';

  constructor(readonly o: ShoaldOptions) {}

  async start(timeoutMs = 20_000): Promise<void> {
    if (!existsSync(path.join(REPO_ROOT, 'dist/.build-stamp'))) {
      throw new Error(
        'the build is missing or failed (see the global setup output); run npm run build',
      );
    }
    const child = spawn(
      process.execPath,
      [
        SHOALD_MAIN,
        '--state-dir',
        this.o.stateDir,
        '--socket',
        this.o.socket,
        '--listen-addr',
        this.o.listenAddr,
        '--log-level',
        'warn',
        ...(this.o.extraArgs ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.o.env } },
    );
    this.child = child;
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`shoald exited with ${child.exitCode}: ${this.stderr}`);
      }
      try {
        const r = await unixRequest(this.o.socket, 'GET', '/_ping', undefined, 1000);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `shoald did not answer on ${this.o.socket} within ${timeoutMs} ms: ${this.stderr}`,
    );
  }

  /** kill -9: no chance to flush or hand anything over. */
  async kill9(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    return this.exited!;
  }
}
