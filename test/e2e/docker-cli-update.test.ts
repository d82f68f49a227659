import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIS,
  type CliResult,
  dockerEnvFor,
  NO_CLI_MESSAGE,
  runCommand,
} from '../support/docker-cli';
import { ShoaldProcess } from '../support/shoald/shoald-process';

/**
 * Issue 7: the stock docker CLI follows a rollout on shoald with its own progress display.
 * Without --detach, `docker service create/update/rollback/scale` poll GET /services/{id},
 * GET /tasks?filters={"service":[id],"_up-to-date":["true"]} and GET /nodes until every slot
 * runs an up-to-date task, then watch for Monitor ("verify: ...") before they exit 0.
 *
 * Each docker binary found is run twice per step: with stdout a pipe (the CLI then prints
 * only the lines without a bar) and on a pseudo-terminal 200 columns wide made by script(1)
 * (it then draws its bars and moves the cursor; the final screen is rebuilt from the escape
 * sequences and read like a user would). Tasks run as host processes (the process executor),
 * so neither dockerd nor an image is needed; the Image is only recorded.
 */
/** util-linux's script(1) (bsdutils, essential in Debian): runs a command on a pty. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

const COMMAND_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 2 * COMMAND_TIMEOUT_MS;
/** docker draws 50 `=` then `>` for a task that is running (step 9 of 9). */
const FULL_BAR = `[${'='.repeat(50)}>]`;
/** 28.x names the service ("verify: Service web converged"); 20.10 does not. */
const CONVERGED = (ref: string) => new RegExp(`^verify: Service (${ref} )?converged$`);

it('finds a docker CLI and script(1) to test with', () => {
  expect(CLIS, NO_CLI_MESSAGE).not.toHaveLength(0);
  expect(SCRIPT, 'script(1) (util-linux bsdutils) is missing').toBeDefined();
});

describe.each(CLIS)('the docker CLI at %s follows rollouts on shoald', (bin) => {
  let daemon: ShoaldProcess | undefined;
  let env: NodeJS.ProcessEnv = {};

  const run = (file: string, args: string[]): Promise<CliResult> =>
    runCommand(file, args, env, COMMAND_TIMEOUT_MS);
  /** `docker <args>` with stdout a pipe; must exit 0. */
  const docker = async (...args: string[]): Promise<CliResult> => {
    const r = await run(bin, args);
    expect(r.code, `docker ${args.join(' ')}:\n${r.stderr}\n${r.stdout}`).toBe(0);
    return r;
  };
  /** `docker <args>` on a 200-column pty; returns the screen it leaves behind. Must exit 0. */
  const dockerOnTerminal = async (...args: string[]): Promise<string[]> => {
    const command = [bin, ...args].map(shellQuote).join(' ');
    const r = await run(SCRIPT!, ['-qec', `stty cols 200 rows 50; ${command}`, '/dev/null']);
    expect(r.code, `docker ${args.join(' ')} on a pty:\n${r.stderr}\n${r.stdout}`).toBe(0);
    return replayTerminal(r.stdout);
  };
  const lines = (stdout: string) => stdout.split('\n').map((l) => l.trimEnd());
  const updateState = async () => {
    const [svc] = JSON.parse((await docker('service', 'inspect', 'web')).stdout) as {
      UpdateStatus?: { State?: string };
    }[];
    return svc?.UpdateStatus?.State;
  };

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-docker-update-');
    env = await dockerEnvFor(daemon);
    await daemon.start();
    await docker('swarm', 'init');
  }, 60_000);

  afterAll(async () => {
    await daemon?.dispose();
  });

  it(
    'docker service create --detach=false waits for 3 out of 3 tasks and verifies',
    async () => {
      const r = await docker(
        'service',
        'create',
        '--detach=false',
        '--name',
        'web',
        '--replicas',
        '3',
        '--update-monitor',
        '1s',
        'busybox',
        'sleep',
        '3600',
      );
      const out = lines(r.stdout);
      expect(out[0]).toMatch(/^[0-9a-z]{25}$/);
      expect(out).toContain('overall progress: 0 out of 3 tasks');
      expect(out).toContain('overall progress: 3 out of 3 tasks');
      expect(out).toContain('verify: Waiting 1 seconds to verify that tasks are stable...');
      expect(out.filter((l) => l !== '').at(-1)).toMatch(CONVERGED(out[0]!));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'docker service update --force --detach=false (a pipe): n/n and "verify: Service ... converged"',
    async () => {
      const r = await docker('service', 'update', '--force', '--detach=false', 'web');
      const out = lines(r.stdout);
      expect(out[0]).toBe('web');
      // Off a terminal the CLI leaves out lines with a bar: the slots show only their labels.
      for (const slot of ['1/3:', '2/3:', '3/3:']) expect(out).toContain(slot);
      expect(out).toContain('overall progress: 0 out of 3 tasks');
      expect(out).toContain('overall progress: 3 out of 3 tasks');
      expect(out.filter((l) => l !== '').at(-1)).toMatch(CONVERGED('web'));
      expect(r.stderr).toBe('');
      await expect.poll(updateState, { timeout: 20_000 }).toBe('completed');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'docker service update --force --detach=false (a terminal): every slot ends running, bar full',
    async () => {
      const screen = await dockerOnTerminal(
        'service',
        'update',
        '--force',
        '--detach=false',
        'web',
      );
      const drawn = screen.filter((l) => l !== '');
      expect(drawn[0]).toBe('web');
      expect(drawn.slice(1, 5)).toEqual([
        'overall progress: 3 out of 3 tasks',
        `1/3: running   ${FULL_BAR}`,
        `2/3: running   ${FULL_BAR}`,
        `3/3: running   ${FULL_BAR}`,
      ]);
      expect(drawn.at(-1)).toMatch(CONVERGED('web'));
      await expect.poll(updateState, { timeout: 20_000 }).toBe('completed');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'docker service rollback follows the rollback to its end',
    async () => {
      const screen = await dockerOnTerminal('service', 'rollback', 'web');
      const drawn = screen.filter((l) => l !== '');
      expect(drawn).toContain('overall progress: rolling back update: 3 out of 3 tasks');
      expect(drawn).toContain('rollback: manually requested rollback');
      expect(drawn.some((l) => CONVERGED('web').test(l))).toBe(true);
      await expect.poll(updateState, { timeout: 20_000 }).toBe('rollback_completed');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'docker service scale web=4 waits for 4 out of 4 tasks',
    async () => {
      const out = lines((await docker('service', 'scale', 'web=4')).stdout);
      expect(out[0]).toBe('web scaled to 4');
      expect(out).toContain('overall progress: 4 out of 4 tasks');
      expect(out.filter((l) => l !== '').at(-1)).toMatch(CONVERGED('web'));
    },
    TEST_TIMEOUT_MS,
  );

  it('the daemon logged no internal errors', async () => {
    expect(await daemon!.stop()).toBe(0);
    expect(daemon!.stderr).not.toContain('control API request failed');
  });
});

function shellQuote(arg: string): string {
  return /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The screen a terminal shows after `output`: just enough of one for the docker CLI's
 * progress display (text, CR, LF, cursor up/down/column, erase line and below).
 */
function replayTerminal(output: string): string[] {
  const screen: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    const line = (screen[row] ?? '').padEnd(col);
    screen[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === '\u001b' && output[i + 1] === '[') {
      const m = /^\[([0-9;?]*)([A-Za-z])/.exec(output.slice(i + 1));
      if (!m) continue;
      i += m[0].length;
      const n = Number(m[1] || '1');
      switch (m[2]) {
        case 'A':
          row = Math.max(0, row - n);
          break;
        case 'B':
          row += n;
          break;
        case 'G':
          col = n - 1;
          break;
        case 'K':
          screen[row] = m[1] === '2' ? '' : (screen[row] ?? '').slice(0, col);
          break;
        case 'J':
          screen.length = row + 1;
          screen[row] = (screen[row] ?? '').slice(0, col);
          break;
      }
      while (screen.length <= row) screen.push('');
    } else if (ch === '\r') {
      col = 0;
    } else if (ch === '\n') {
      row++;
      col = 0;
      while (screen.length <= row) screen.push('');
    } else {
      put(ch);
    }
  }
  return screen.map((l) => l.trimEnd());
}
