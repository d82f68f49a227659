import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { freePorts } from '../../test/support/free-port';
import { writeTestPki } from '../../test/support/test-certs';
import { tlsCredentialsFromDir } from '../../test/support/raft-kv/grpc.pool';
import { EtcdKvClient } from './etcd-kv.client';

/**
 * Runs a throwaway etcd cluster on loopback as the benchmark's reference point. It installs
 * nothing: CI and developer machines get etcd from Debian (`etcd-server`), and a missing
 * binary is reported with the command that fixes it rather than being fetched from elsewhere.
 */

const INSTALL_HINT = 'apt-get install -y etcd-server etcd-client';

export interface EtcdTlsOptions {
  /** Holds `ca.pem` plus `<name>.pem` / `<name>-key.pem` per member and for the client. */
  dir: string;
  /** File stem of each member's cert; defaults to the member name. */
  memberCertName?: (memberName: string) => string;
  /** File stem of the client cert the benchmark uses. Default 'client'. */
  clientCertName?: string;
}

export interface EtcdClusterOptions {
  size?: number;
  /** Parent of the throwaway cluster directory; its filesystem is what etcd fsyncs to. */
  baseDir?: string;
  /** Fixed bases (member i uses base + i), or 'auto' (default) for OS-assigned free ports. */
  ports?: 'auto' | { clientBase: number; peerBase: number };
  /**
   * mTLS for client and peer traffic: an existing PKI dir, or 'generate' for a fresh one
   * (test-certs' writeTestPki) inside the cluster dir. Plaintext when absent.
   */
  tls?: EtcdTlsOptions | 'generate';
  /** etcd defaults (100 / 1000) unless set; failover numbers depend on these directly. */
  heartbeatMs?: number;
  electionMs?: number;
  extraArgs?: string[];
  startTimeoutMs?: number;
  /** `etcd` binary; default $ETCD_BIN, then `etcd` on PATH. */
  binary?: string;
  /** Leave the data directories behind after stop(), for post-mortems. */
  keepData?: boolean;
}

export interface EtcdMember {
  readonly name: string;
  /** `host:port` for gRPC clients. */
  readonly endpoint: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  pid(): number | undefined;
  running(): boolean;
  /**
   * Sends the signal (default SIGKILL, as the failover benchmark does) and waits for exit.
   * `waitHealthy` leaves a member stopped this way alone until it is restarted.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on its existing data dir (rejoins with its old identity). */
  restart(): Promise<void>;
  logTail(chars?: number): string;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: string[];
  readonly rootDir: string;
  readonly version: string;
  readonly binary: string;
  readonly tls: boolean;
  /** Credentials a client needs for this cluster (insecure when not TLS). */
  clientCredentials(): grpc.ChannelCredentials | undefined;
  /**
   * Resolves once every member not stopped through `kill` serves a linearizable read; a
   * member that exited by itself (say, refusing its data dir on restart) fails it at once.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** The member that currently leads, via Maintenance/Status. */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** Kills every member (SIGKILL, so no member outlives a crashed benchmark) and deletes data. */
  stop(): Promise<void>;
}

export interface EtcdBinaryInfo {
  path: string;
  version: string;
}

/** Go's name for Node's arch, for etcd's ETCD_UNSUPPORTED_ARCH opt-in. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}

/**
 * etcd reads any ETCD_* variable as a flag; one left in the caller's environment (say, from a
 * local etcd setup) would silently reconfigure the benchmark cluster, so the child gets none
 * but the arch opt-in. etcd 3.4 refuses to start on arm64 without that opt-in.
 */
function etcdEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
  const arch = goArch();
  if (!['amd64', 'ppc64le', 's390x'].includes(arch)) env['ETCD_UNSUPPORTED_ARCH'] = arch;
  return env;
}

export async function findEtcdBinary(binary?: string): Promise<EtcdBinaryInfo> {
  const candidate = binary ?? process.env['ETCD_BIN'] ?? 'etcd';
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(candidate, ['--version'], {
      env: etcdEnv(),
      timeout: 10_000,
    }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        `etcd binary '${candidate}' not found. Install Debian's etcd 3.4 with:\n  ${INSTALL_HINT}\n` +
          `(or point ETCD_BIN at an etcd 3.4 binary)`,
      );
    }
    throw new Error(`'${candidate} --version' failed: ${(err as Error).message}`);
  }
  const m = /etcd Version:\s*(\S+)/.exec(stdout);
  if (!m) throw new Error(`cannot parse etcd version from: ${stdout.trim()}`);
  return { path: candidate, version: m[1]! };
}

class Member implements EtcdMember {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Set by `kill`, cleared by `start`: a member down for this reason is not a failure. */
  stoppedOnPurpose = false;

  constructor(
    readonly name: string,
    readonly endpoint: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly binary: string,
    private readonly args: string[],
  ) {}

  start(): void {
    // Logs go straight to a file: piping them through this process would spend benchmark
    // CPU on etcd's log lines, and the file survives for a post-mortem.
    this.stoppedOnPurpose = false;
    const fd = openSync(this.logFile, 'a');
    try {
      const child = spawn(this.binary, this.args, { stdio: ['ignore', fd, fd], env: etcdEnv() });
      this.child = child;
      this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
      });
      child.once('error', () => {
        if (this.child === child) this.child = undefined;
      });
    } finally {
      closeSync(fd);
    }
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.stoppedOnPurpose = true;
    if (!this.running()) return;
    this.child!.kill(signal);
    await this.exited;
  }

  killSync(): void {
    if (this.running()) this.child!.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.kill();
    this.start();
  }

  logTail(chars = 4_000): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-chars) : '';
  }
}

function memberArgs(
  m: { name: string; clientUrl: string; peerUrl: string; dataDir: string },
  initialCluster: string,
  token: string,
  opts: ResolvedOptions,
): string[] {
  const args = [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
    '--initial-cluster-state=new',
    '--logger=zap',
    '--log-outputs=stderr',
    // Elections, lost leaders and rejected votes are logged at info; they are what a failed
    // failover trial has to show. Under steady load etcd logs next to nothing at this level.
    '--log-level=info',
    // EtcdKvClient pings every 250 ms while calls are in flight (see its keepaliveMs); with
    // the 5 s default a plaintext member would answer a run of pings with GOAWAY
    // too_many_pings and cut the calls off. (With TLS etcd serves gRPC through net/http,
    // which does not police pings.)
    '--grpc-keepalive-min-time=100ms',
    // A 30 s run of 1 KiB puts at tens of thousands per second approaches the 2 GiB default;
    // hitting the quota would end the run with "database space exceeded" errors.
    '--quota-backend-bytes=8589934592',
  ];
  if (opts.heartbeatMs !== undefined) args.push(`--heartbeat-interval=${opts.heartbeatMs}`);
  if (opts.electionMs !== undefined) args.push(`--election-timeout=${opts.electionMs}`);
  if (opts.tls) {
    const stem = opts.tls.memberCertName?.(m.name) ?? m.name;
    const f = (file: string) => path.join(opts.tls!.dir, file);
    // One cert per member serves both roles, so it needs serverAuth and clientAuth usages
    // and an IP SAN of 127.0.0.1.
    args.push(
      `--cert-file=${f(`${stem}.pem`)}`,
      `--key-file=${f(`${stem}-key.pem`)}`,
      `--trusted-ca-file=${f('ca.pem')}`,
      '--client-cert-auth',
      `--peer-cert-file=${f(`${stem}.pem`)}`,
      `--peer-key-file=${f(`${stem}-key.pem`)}`,
      `--peer-trusted-ca-file=${f('ca.pem')}`,
      '--peer-client-cert-auth',
    );
  }
  args.push(...(opts.extraArgs ?? []));
  return args;
}

function checkTlsDir(tls: EtcdTlsOptions, names: string[]): void {
  const stems = [...names.map((n) => tls.memberCertName?.(n) ?? n), tls.clientCertName ?? 'client'];
  const files = ['ca.pem', ...stems.flatMap((s) => [`${s}.pem`, `${s}-key.pem`])];
  const missing = files.filter((f) => !existsSync(path.join(tls.dir, f)));
  if (missing.length > 0) {
    throw new Error(`etcd TLS dir ${tls.dir} lacks: ${missing.join(', ')}`);
  }
}

const TOKEN_PREFIX = 'shoal-bench-';

/**
 * Kills etcd members left behind by a benchmark process that died without cleaning up (kill -9,
 * OOM): no exit hook runs then. Such members are recognised precisely by the cluster token
 * this module gives them, which embeds the owning pid, and only if that pid is gone.
 */
export function reapOrphanedMembers(): number {
  let reaped = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const token = argv.find((a) => a.startsWith(`--initial-cluster-token=${TOKEN_PREFIX}`));
    if (!token) continue;
    const owner = Number(
      token.slice(`--initial-cluster-token=${TOKEN_PREFIX}`.length).split('-')[0],
    );
    if (!Number.isInteger(owner) || owner === process.pid || isAlive(owner)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      reaped++;
    } catch {
      continue;
    }
    const dataDir = argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
    // <root>/attempt-N/<member>: remove the whole throwaway root, but only one of ours.
    const root = dataDir && path.dirname(path.dirname(dataDir));
    if (root && path.basename(root).startsWith('shoal-etcd-')) {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return reaped;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const liveMembers = new Set<Member>();
let exitHookInstalled = false;

/**
 * The log tails of every member of the clusters this process runs (killed members included,
 * stopped clusters not), for a benchmark to print when a trial fails.
 */
export function liveMemberLogTails(chars = 3_000): string {
  return [...liveMembers]
    .map((m) => {
      const state = m.running() ? `running, pid ${m.pid()}` : 'not running';
      return `--- ${m.name} (${state}) ---\n${m.logTail(chars)}`;
    })
    .join('\n');
}

/** Last line of defence against orphaned etcd processes holding ports after a crash. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const m of liveMembers) m.killSync();
  });
}

type ResolvedOptions = Omit<EtcdClusterOptions, 'tls'> & { tls: EtcdTlsOptions | undefined };

async function startOnce(
  opts: ResolvedOptions,
  bin: EtcdBinaryInfo,
  rootDir: string,
  attempt: number,
): Promise<EtcdCluster> {
  const size = opts.size ?? 3;
  const scheme = opts.tls ? 'https' : 'http';
  let clientPorts: number[];
  let peerPorts: number[];
  if (opts.ports && opts.ports !== 'auto') {
    const { clientBase, peerBase } = opts.ports;
    clientPorts = Array.from({ length: size }, (_, i) => clientBase + i);
    peerPorts = Array.from({ length: size }, (_, i) => peerBase + i);
  } else {
    const ports = await freePorts(size * 2);
    clientPorts = ports.slice(0, size);
    peerPorts = ports.slice(size);
  }
  const token = `${TOKEN_PREFIX}${process.pid}-${Date.now()}-${attempt}`;
  const specs = Array.from({ length: size }, (_, i) => {
    const name = `etcd-${i}`;
    return {
      name,
      endpoint: `127.0.0.1:${clientPorts[i]}`,
      clientUrl: `${scheme}://127.0.0.1:${clientPorts[i]}`,
      peerUrl: `${scheme}://127.0.0.1:${peerPorts[i]}`,
      dataDir: path.join(rootDir, `attempt-${attempt}`, name),
      logFile: path.join(rootDir, `attempt-${attempt}`, `${name}.log`),
    };
  });
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  await mkdir(path.join(rootDir, `attempt-${attempt}`), { recursive: true });

  const members = specs.map(
    (s) =>
      new Member(
        s.name,
        s.endpoint,
        s.clientUrl,
        s.peerUrl,
        s.dataDir,
        s.logFile,
        bin.path,
        memberArgs(s, initialCluster, token, opts),
      ),
  );
  installExitHook();
  for (const m of members) {
    liveMembers.add(m);
    m.start();
  }

  const tlsOpts = opts.tls;
  const credentials = () =>
    tlsOpts ? tlsCredentialsFromDir(tlsOpts.dir, tlsOpts.clientCertName ?? 'client') : undefined;

  const withClient = async <T>(eps: string[], f: (c: EtcdKvClient) => Promise<T>): Promise<T> => {
    const creds = credentials();
    const client = new EtcdKvClient({
      endpoints: eps,
      target: 'round-robin',
      channelsPerEndpoint: 1,
      deadlineMs: 1_000,
      ...(creds ? { credentials: creds } : {}),
    });
    try {
      return await f(client);
    } finally {
      client.close();
    }
  };

  let stopped = false;
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.endpoint),
    rootDir,
    version: bin.version,
    binary: bin.path,
    tls: tlsOpts !== undefined,
    clientCredentials: credentials,
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      // A member killed on purpose (failover) is not expected to become healthy.
      for (const m of members.filter((x) => !x.stoppedOnPurpose)) {
        await withClient([m.endpoint], async (c) => {
          let lastErr: unknown;
          while (Date.now() < deadline) {
            if (!m.running()) {
              throw new Error(`etcd member ${m.name} exited by itself:\n${m.logTail()}`);
            }
            // A linearizable read needs a leader and a quorum behind it: the same bar a put has.
            try {
              await c.range('shoal-bench-health');
              return;
            } catch (err) {
              lastErr = err;
            }
            await sleep(100);
          }
          throw new Error(
            `etcd member ${m.name} not healthy within ${timeoutMs} ms: ${(lastErr as Error)?.message}\n` +
              `--- ${m.name} log tail ---\n${m.logTail()}`,
          );
        });
      }
    },
    async leader(timeoutMs = 10_000) {
      const creds = credentials();
      const client = new EtcdKvClient({
        endpoints: members.filter((m) => m.running()).map((m) => m.endpoint),
        channelsPerEndpoint: 1,
        leaderWaitMs: timeoutMs,
        ...(creds ? { credentials: creds } : {}),
      });
      try {
        const l = await client.refreshLeader();
        return members.find((m) => m.endpoint === l.endpoint)!;
      } finally {
        client.close();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((m) => m.kill('SIGKILL')));
      for (const m of members) liveMembers.delete(m);
      if (!opts.keepData) rmSync(rootDir, { recursive: true, force: true });
    },
  };

  let starting = true;
  try {
    await Promise.race([
      cluster.waitHealthy(opts.startTimeoutMs ?? 30_000),
      // A member that dies during start-up (bad flag, port taken) should fail fast, not time out.
      (async () => {
        while (starting && members.every((m) => m.running())) await sleep(50);
        const dead = members.find((m) => !m.running());
        if (starting && dead) {
          throw new Error(`etcd member ${dead.name} exited during start-up:\n${dead.logTail()}`);
        }
      })(),
    ]);
    if (members.some((m) => !m.running())) {
      const dead = members.find((m) => !m.running())!;
      throw new Error(`etcd member ${dead.name} exited during start-up:\n${dead.logTail()}`);
    }
  } catch (err) {
    starting = false;
    await Promise.all(members.map((m) => m.kill('SIGKILL')));
    for (const m of members) liveMembers.delete(m);
    throw err;
  }
  starting = false;
  return cluster;
}

/**
 * Starts `size` (default 3) members on 127.0.0.1 with fresh data dirs and waits until each
 * serves a linearizable read. With automatic ports a start-up that loses a port race is
 * retried on new ports, up to three times. Members orphaned by an earlier crashed run are
 * reaped first, so they cannot skew this run's CPU budget.
 */
export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const bin = await findEtcdBinary(opts.binary);
  reapOrphanedMembers();
  const size = opts.size ?? 3;
  const names = Array.from({ length: size }, (_, i) => `etcd-${i}`);
  const rootDir = mkdtempSync(path.join(opts.baseDir ?? os.tmpdir(), 'shoal-etcd-'));
  let tls: EtcdTlsOptions | undefined;
  if (opts.tls === 'generate') {
    tls = { dir: path.join(rootDir, 'pki') };
    await writeTestPki(tls.dir, [...names, 'client']);
  } else if (opts.tls) {
    tls = opts.tls;
    checkTlsDir(tls, names);
  }
  const resolved: ResolvedOptions = { ...opts, tls };
  const attempts = !opts.ports || opts.ports === 'auto' ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(resolved, bin, rootDir, attempt);
    } catch (err) {
      const portRace = /address already in use/i.test((err as Error).message);
      if (!portRace || attempt >= attempts) {
        if (!opts.keepData) rmSync(rootDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}
