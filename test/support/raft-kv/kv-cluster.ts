import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RAFT_HOST_NODE_FLAGS } from '@shoal/raft/node';
import { writeTestPki } from '../test-certs';
import { freePorts } from '../free-port';

export interface KvNodeHandle {
  id: string;
  raftAddress: string;
  clientAddress: string;
  dataDir: string;
  process: ChildProcess | undefined;
  /** Resolves with the exit code or signal when the current process ends. */
  exited: Promise<number | NodeJS.Signals | null> | undefined;
}

export interface KvClusterOptions {
  size: number;
  /** Extra flags passed to every node, e.g. ['--election-ticks', '5']. */
  nodeArgs?: string[];
  /** Where node stderr goes; defaults to a log file per node in the cluster dir. */
  inheritStderr?: boolean;
  fsync?: boolean;
  /**
   * Run members from the compiled build (`npm run build:bench`) instead of through tsx, as a
   * deployment would: benchmarks measure that. Tests use the sources directly.
   */
  compiled?: boolean;
  /**
   * Node's own flags for every member. Default: RAFT_HOST_NODE_FLAGS, what shoald runs with,
   * so the benchmarks measure Raft as deployed; `bench:raft --compare-node-defaults` and
   * `bench:raft-tail --node-flags` vary them.
   */
  nodeFlags?: readonly string[];
}

const REPO_ROOT = path.resolve(__dirname, '../../..');
const NODE_MAIN = path.join(__dirname, 'kv-node.main.ts');
const NODE_MAIN_COMPILED = path.join(REPO_ROOT, 'dist-bench/test/support/raft-kv/kv-node.main.js');

/**
 * Real OS processes running the replicated KV on loopback, each with its own data dir and
 * mTLS identity. Used by the crash test, the demo and the benchmarks.
 */
export class KvCluster {
  readonly nodes: KvNodeHandle[] = [];
  private constructor(
    readonly dir: string,
    private readonly opts: KvClusterOptions,
  ) {}

  static async create(opts: KvClusterOptions): Promise<KvCluster> {
    if (opts.compiled && !existsSync(NODE_MAIN_COMPILED)) {
      throw new Error(`${NODE_MAIN_COMPILED} is missing: run \`npm run build:bench\` first`);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-kv-'));
    const cluster = new KvCluster(dir, opts);
    const ids = Array.from({ length: opts.size }, (_, i) => `n${i + 1}`);
    await writeTestPki(path.join(dir, 'pki'), [...ids, 'client']);
    const ports = await freePorts(opts.size * 2);
    ids.forEach((id, i) =>
      cluster.nodes.push({
        id,
        raftAddress: `127.0.0.1:${ports[i * 2]}`,
        clientAddress: `127.0.0.1:${ports[i * 2 + 1]}`,
        dataDir: path.join(dir, id),
        process: undefined,
        exited: undefined,
      }),
    );
    return cluster;
  }

  get clientAddresses(): string[] {
    return this.nodes.map((n) => n.clientAddress);
  }

  node(id: string): KvNodeHandle {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Starts (or restarts) a node and resolves once it serves its client API. */
  async start(id: string): Promise<void> {
    const n = this.node(id);
    if (n.process) throw new Error(`${id} is already running`);
    const args = [
      ...(this.opts.nodeFlags ?? RAFT_HOST_NODE_FLAGS),
      // Extra Node flags for every member, e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile a
      // benchmark (profiles are written when a member exits on SIGTERM).
      ...(process.env.SHOAL_KV_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(this.opts.compiled ? [NODE_MAIN_COMPILED] : ['--import', 'tsx', NODE_MAIN]),
      '--id',
      id,
      '--data-dir',
      n.dataDir,
      '--raft-addr',
      n.raftAddress,
      '--client-addr',
      n.clientAddress,
      '--pki-dir',
      path.join(this.dir, 'pki'),
      '--peers',
      this.nodes.map((x) => `${x.id}=${x.raftAddress}=${x.clientAddress}`).join(','),
      ...(this.opts.fsync === false ? ['--no-fsync'] : []),
      ...(this.opts.nodeArgs ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', this.opts.inheritStderr ? 'inherit' : 'pipe'],
    });
    n.process = child;
    if (!this.opts.inheritStderr) {
      child.stderr?.pipe(createWriteStream(path.join(this.dir, `${id}.log`), { flags: 'a' }));
    }
    n.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        n.process = undefined;
        resolve(code ?? signal);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('"ready":true')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `${id} exited before it was ready (${code ?? signal}); see ${path.join(this.dir, `${id}.log`)}`,
          ),
        ),
      );
    });
    child.stdout?.resume();
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.id)));
  }

  /** Sends a signal and waits for the process to end. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.node(id);
    if (!n.process) return;
    const exited = n.exited;
    n.process.kill(signal);
    await exited;
  }

  async killAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.id, signal)));
  }

  async destroy(opts: { keepDir?: boolean } = {}): Promise<void> {
    await this.killAll('SIGKILL');
    if (!opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
