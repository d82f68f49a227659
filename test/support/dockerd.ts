import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A real Docker Engine for the specs that need one (test tier 4 and the docker executor's
 * spec). Sessions leave no processes behind (TEST-ENVIRONMENT.md), so whoever needs dockerd
 * starts it; the helpers talk to it over plain HTTP on its socket rather than dockerode,
 * which only libs/exec/src/docker may import.
 */

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const DOCKERD = '/usr/sbin/dockerd';
export const DOCKERD_LOG = '/var/log/dockerd.log';
export const BUSYBOX_IMAGE = 'busybox:local';

const ROOT = path.resolve(__dirname, '../..');
const MAKE_IMAGE = path.join(ROOT, 'scripts/make-busybox-image.sh');
const START_TIMEOUT_MS = 30_000;

/** GET `urlPath` on the engine's socket: the status code, or undefined when none answers. */
function engineGet(
  urlPath: string,
  socketPath = DOCKER_SOCKET,
  timeoutMs = 1_000,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: urlPath, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Whether an engine answers `/_ping` on `socketPath`. */
export async function dockerAnswers(socketPath = DOCKER_SOCKET): Promise<boolean> {
  return (await engineGet('/_ping', socketPath)) === 200;
}

/** Whether this machine has dockerd at all (Debian's docker.io). */
export function dockerdInstalled(): boolean {
  return existsSync(DOCKERD);
}

/**
 * Makes sure an engine answers on /var/run/docker.sock: starts `dockerd` in the background
 * (output appended to /var/log/dockerd.log) when none does, and waits up to 30 s for it. A
 * dockerd started here outlives the test run on purpose: the next spec reuses it.
 */
export async function ensureDockerd(): Promise<void> {
  if (await dockerAnswers()) return;
  if (!dockerdInstalled()) {
    throw new Error(`${DOCKERD} not found: install it with apt-get install -y docker.io`);
  }
  const log = openSync(DOCKERD_LOG, 'a');
  try {
    const child = spawn(DOCKERD, [], { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined); // reported below as "did not answer"
    child.unref();
  } finally {
    closeSync(log);
  }
  // Two specs may race to start it; the loser exits on the pid file and the winner answers.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await dockerAnswers()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `dockerd did not answer on ${DOCKER_SOCKET} within ${START_TIMEOUT_MS / 1000} s; see ${DOCKERD_LOG}`,
  );
}

/**
 * Makes sure the engine has `tag`, a busybox image imported from the host's busybox-static
 * (scripts/make-busybox-image.sh, the recipe of TEST-ENVIRONMENT.md), since no registry can be
 * reached. Call ensureDockerd() first.
 */
export async function ensureBusyboxImage(tag = BUSYBOX_IMAGE): Promise<void> {
  if ((await engineGet(`/images/${encodeURIComponent(tag)}/json`)) === 200) return;
  if (!existsSync('/bin/busybox')) {
    throw new Error(
      `/bin/busybox is missing, so the ${tag} image cannot be built: apt-get install -y busybox-static`,
    );
  }
  try {
    await promisify(execFile)('bash', [MAKE_IMAGE, tag], { cwd: ROOT });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`building ${tag} failed: ${stderr || (e as Error).message}`);
  }
}
