import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOAL_MAIN, ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * Issue 7's CLI: `shoal service create/update/rollback/scale` wait for the service to converge
 * and draw its progress, unless --detach. The built CLI (dist) against one real shoald with
 * the process executor; its stdout is a pipe, so the progress comes as a log of changed lines.
 */

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

const CLI_TIMEOUT_MS = 60_000;

describe('shoal service progress against shoald', () => {
  let daemon: ShoaldProcess;

  const shoal = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      execFile(
        process.execPath,
        [SHOAL_MAIN, '-H', `unix://${daemon.socket}`, ...args],
        { env: { PATH: process.env.PATH }, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          const out = { stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started };
          if (!error) resolve({ code: 0, ...out });
          else if (typeof error.code === 'number') resolve({ code: error.code, ...out });
          else
            reject(
              new Error(`shoal ${args.join(' ')}: ${error.message}\n${out.stdout}${out.stderr}`),
            );
        },
      );
    });
  const ok = async (...args: string[]): Promise<CliResult> => {
    const r = await shoal(...args);
    expect(r.code, `shoal ${args.join(' ')}:\n${r.stderr}\n${r.stdout}`).toBe(0);
    return r;
  };
  const api = (method: string, p: string, body?: unknown) =>
    unixRequest(daemon.socket, method, `/v1.44${p}`, body);
  const updateState = async (ref: string) =>
    ((await api('GET', `/services/${ref}`)).json as { UpdateStatus?: { State?: string } })
      .UpdateStatus?.State;

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-cli-progress-');
    await daemon.start();
    expect((await api('POST', '/swarm/init', {})).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('service create waits until the 3 replicas run and have stayed up for Monitor', async () => {
    const r = await ok(
      'service',
      'create',
      '--name',
      'web',
      '--replicas',
      '3',
      '--update-monitor',
      '1s',
      '--update-parallelism',
      '1',
      '--restart-delay',
      '0s',
      'busybox:local',
      'sh',
      '-c',
      // Runs until the spec sets BAD, then dies at once: the update that pauses below.
      'test -z "$BAD" && exec sleep 3600; exit 3',
    );
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^[0-9a-z]{25}$/);
    expect(lines).toContain('overall progress: 3 out of 3 tasks');
    for (const slot of ['1/3', '2/3', '3/3']) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^${slot}: running +\\[=+>\\]$`)),
      );
    }
    expect(r.stdout).toContain('verify: Waiting 1 seconds to verify that tasks are stable...\n');
    expect(r.stdout.endsWith(`verify: Service ${lines[0]} converged\n`)).toBe(true);
    expect(r.stderr).toBe('');
  }, 90_000);

  it('service update without --detach prints per-slot progress until the update completes', async () => {
    const r = await ok('service', 'update', '--force', 'web');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('web');
    // The up-to-date tasks are counted from none to all three, slot by slot.
    expect(lines).toContain('overall progress: 0 out of 3 tasks');
    expect(lines).toContain('overall progress: 3 out of 3 tasks');
    for (const slot of ['1/3', '2/3', '3/3']) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^${slot}: running +\\[=+>\\]$`)),
      );
    }
    expect(r.stdout.endsWith('verify: Service web converged\n')).toBe(true);
    expect(await updateState('web')).toBe('completed');
  }, 90_000);

  it('service update --detach returns at once, while the rollout goes on', async () => {
    const r = await ok('service', 'update', '--detach', '--force', '--update-delay', '2s', 'web');
    expect(r.stdout).toBe('web\n');
    // Three slots, one at a time, 2 s apart: the rollout takes over 4 s.
    expect(r.ms).toBeLessThan(3_000);
    expect(await updateState('web')).not.toBe('completed');
    await expect.poll(() => updateState('web'), { timeout: 40_000 }).toBe('completed');
  }, 90_000);

  it('an update that pauses exits 1 with the pause message', async () => {
    const r = await shoal(
      'service',
      'update',
      '--env-add',
      'BAD=1',
      '--update-failure-action',
      'pause',
      'web',
    );
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(
      /^service update paused: update paused due to failure or early termination of task [0-9a-z]{25}\n$/,
    );
    expect(r.stdout.split('\n')[0]).toBe('web');
    expect(r.stdout).toContain('overall progress: 0 out of 3 tasks');
    expect(await updateState('web')).toBe('paused');
  }, 90_000);

  it('service rollback returns to the previous spec and waits until it converges', async () => {
    const r = await ok('service', 'rollback', 'web');
    expect(r.stdout.split('\n')[0]).toBe('web');
    expect(r.stdout).toContain('rollback: manually requested rollback\n');
    expect(r.stdout).toContain('overall progress: rolling back update: 3 out of 3 tasks\n');
    expect(r.stdout).toMatch(/verify: Service web converged\nrollback: rollback completed\n$/);
    expect(await updateState('web')).toBe('rollback_completed');
  }, 90_000);

  it('service scale waits for the new replicas', async () => {
    const r = await ok('service', 'scale', 'web=4');
    expect(r.stdout.split('\n')[0]).toBe('web scaled to 4');
    expect(r.stdout).toContain('overall progress: 4 out of 4 tasks\n');
    expect(r.stdout).toContain('verify: Service web converged\n');
  }, 90_000);
});
