import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EngineVersion, EngineClient } from './engine.client';
import { runFixed } from './fixed-load';
import { pidsByComm } from './proc';
import { runFilter } from './workload';

/**
 * The peer: Docker Swarm on this machine. Uses a running dockerd if its socket answers,
 * otherwise starts Debian's `dockerd` (and stops it again afterwards); uses an active swarm
 * it manages, otherwise initializes a single-manager swarm on 127.0.0.1 (and leaves it again
 * afterwards). Nothing here installs Docker: a missing binary makes the peer unavailable,
 * with the install command in the reason.
 */

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const DOCKERD_LOG = '/tmp/dockerd.log';
const DOCKER_PIDFILE = '/var/run/docker.pid';

export interface DockerPeer {
  client: EngineClient;
  version: EngineVersion;
  /** dockerd's pid, when it could be found (RSS and CPU are read from /proc). */
  pid: number | undefined;
  startedDaemon: boolean;
  initializedSwarm: boolean;
  /** Services that were in the swarm before this run (not ours; never touched). */
  preexistingServices: number;
  dataRoot: string | undefined;
  storageDriver: string | undefined;
  describe: string;
  /**
   * Deletes this run's services (by the IDs given, then any others carrying the run label),
   * leaves the swarm if this run initialized it, and stops dockerd if this run started it.
   * Returns what it did, for the report; never throws.
   */
  teardown(createdIds: readonly string[], runId: string): Promise<string[]>;
}

export type DockerPeerResult = DockerPeer | { unavailable: string };

/** The unix socket a docker client would use: DOCKER_HOST=unix://… or the default. */
export function dockerSocketFromEnv(env: NodeJS.ProcessEnv): string | { unsupported: string } {
  const host = env.DOCKER_HOST;
  if (!host) return DEFAULT_DOCKER_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return { unsupported: `DOCKER_HOST=${host} is not a unix socket` };
}

function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function dockerdPid(): number | undefined {
  try {
    const pid = Number(readFileSync(DOCKER_PIDFILE, 'utf8').trim());
    if (pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd') return pid;
  } catch {
    // no pid file, or a stale one
  }
  const pids = pidsByComm('dockerd');
  return pids.length === 1 ? pids[0] : undefined;
}

function tail(file: string, chars = 1_500): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

export async function startDockerPeer(
  log: (line: string) => void,
  opts: { concurrency: number; env?: NodeJS.ProcessEnv; startTimeoutMs?: number },
): Promise<DockerPeerResult> {
  const env = opts.env ?? process.env;
  const socket = dockerSocketFromEnv(env);
  if (typeof socket !== 'string') return { unavailable: socket.unsupported };
  const client = new EngineClient(socket, { maxSockets: opts.concurrency });

  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const stopDaemon = async () => {
    if (child) await stopChild(child, exited);
  };

  if (!(await client.ping())) {
    if (socket !== DEFAULT_DOCKER_SOCKET) {
      return {
        unavailable: `nothing answers on ${socket} (DOCKER_HOST), and only the default socket is started here`,
      };
    }
    const dockerd = findExecutable('dockerd', env);
    if (!dockerd) {
      return { unavailable: 'dockerd not found; install it with apt-get install -y docker.io' };
    }
    log(`docker: nothing answers on ${socket}; starting ${dockerd} (log: ${DOCKERD_LOG})`);
    const fd = openSync(DOCKERD_LOG, 'a');
    // Its own process group: a Ctrl-C on the benchmark must not kill dockerd before the
    // benchmark has left the swarm it initialized.
    child = spawn(dockerd, [], { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    const c = child;
    exited = new Promise((resolve) => c.on('exit', resolve));
    c.on('error', () => undefined);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    while (!(await client.ping())) {
      if (c.exitCode !== null || c.signalCode !== null || Date.now() > deadline) {
        await stopDaemon();
        client.close();
        const why = c.exitCode !== null ? `exited with ${c.exitCode}` : 'did not answer in time';
        return { unavailable: `dockerd ${why}: ${tail(DOCKERD_LOG, 400).replace(/\s+/g, ' ')}` };
      }
      await sleep(200);
    }
  }

  let initializedSwarm = false;
  try {
    const version = await client.negotiate();
    const info = (await client.json('GET', '/info', undefined, [200])) as {
      DockerRootDir?: string;
      Driver?: string;
      Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
    };
    const state = info.Swarm?.LocalNodeState ?? 'unknown';
    if (state === 'inactive') {
      log('docker: swarm inactive; docker swarm init --advertise-addr 127.0.0.1');
      await client.json(
        'POST',
        '/swarm/init',
        { ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' },
        [200],
      );
      initializedSwarm = true;
    } else if (state !== 'active' || !info.Swarm?.ControlAvailable) {
      throw new Error(`this dockerd is not a swarm manager (LocalNodeState ${state})`);
    }
    const existing = (await client.json('GET', '/services', undefined, [200])) as unknown[];
    const pid = child?.pid ?? dockerdPid();
    const startedDaemon = child !== undefined;
    return {
      client,
      version,
      pid,
      startedDaemon,
      initializedSwarm,
      preexistingServices: existing.length,
      dataRoot: info.DockerRootDir,
      storageDriver: info.Driver,
      describe:
        `docker ${version.version} (API ${version.serverApiVersion}, using /v${version.apiVersion}), ` +
        `dockerd pid ${pid ?? 'unknown'} ${startedDaemon ? 'started by this run' : 'already running'}, ` +
        `swarm ${initializedSwarm ? 'initialized by this run' : 'already active'}, ` +
        `${existing.length} services there before, data root ${info.DockerRootDir ?? '?'}`,
      teardown: async (createdIds, runId) => {
        const notes: string[] = [];
        try {
          const del = await runFixed({
            count: createdIds.length,
            concurrency: opts.concurrency,
            op: async (i) => {
              await client.json('DELETE', `/services/${createdIds[i]}`, undefined, [200, 404]);
            },
          });
          notes.push(
            `deleted ${del.ok} services in ${(del.elapsedMs / 1000).toFixed(1)} s` +
              (del.errors ? ` (${del.errors} deletes failed)` : ''),
          );
          const left = (await client.json(
            'GET',
            `/services?filters=${runFilter(runId)}`,
            undefined,
            [200],
          )) as { ID: string }[];
          for (const s of left) {
            await client.json('DELETE', `/services/${s.ID}`, undefined, [200, 404]);
          }
          if (left.length) notes.push(`deleted ${left.length} more found by the run label`);
        } catch (err) {
          notes.push(`service cleanup failed: ${(err as Error).message}`);
        }
        if (initializedSwarm) {
          try {
            await client.json('POST', '/swarm/leave?force=true', undefined, [200]);
            notes.push('left the swarm this run initialized');
          } catch (err) {
            notes.push(`swarm leave failed: ${(err as Error).message}`);
          }
        }
        client.close();
        if (startedDaemon) {
          await stopDaemon();
          notes.push('stopped the dockerd this run started');
        }
        return notes;
      },
    };
  } catch (err) {
    if (initializedSwarm) {
      await client.request('POST', '/swarm/leave?force=true').catch(() => undefined);
    }
    client.close();
    await stopDaemon();
    return { unavailable: (err as Error).message };
  }
}
