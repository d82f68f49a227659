import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Service, Task, TaskState } from '../api/swarm.types';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import { MIGRATE_ID, WEB_ID, migrateService, webService } from '../../test/swarm.fixtures';

const NEW_ID = 'xc0rj7ss2dnl2c4gf1jpqcrkt';
const NODE = 'node1aaaaaaaaaaaaaaaaaaaa';
const FAILED_TASK = 'f0iled0task0id0000000000a';

/** One poll's answer: the service's UpdateStatus and the states of its up-to-date tasks. */
interface Poll {
  status?: Service['UpdateStatus'];
  tasks: TaskState[];
  err?: string;
}

const tasksIn = (serviceId: string, poll: Poll): Task[] =>
  poll.tasks.map((state, i) => ({
    ID: `${serviceId.slice(0, 5)}task${i}`,
    ServiceID: serviceId,
    Slot: i + 1,
    NodeID: NODE,
    DesiredState: 'running',
    Status: { State: state, ...(poll.err ? { Err: poll.err } : {}) },
  }));

describe('shoal service create/update/rollback/scale: waiting with progress', () => {
  let daemon: FakeDaemon;
  let now = 0;
  /** A virtual clock: each poll's 200 ms sleep advances it at once. */
  const ctx = {
    clock: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };

  /** Per service ID: the tasks of the current poll, then on to the next poll. */
  const scripted = new Map<string, () => Task[]>();
  /** Serves `polls` in turn for GET /services/{id} and /tasks (the last one repeats). */
  const script = (service: Service, polls: Poll[]) => {
    let i = 0;
    const current = () => polls[Math.min(i, polls.length - 1)]!;
    daemon.on('GET', `/services/${service.ID}`, () => ({
      body: { ...service, UpdateStatus: current().status },
    }));
    scripted.set(service.ID, () => tasksIn(service.ID, polls[Math.min(i++, polls.length - 1)]!));
  };

  beforeEach(async () => {
    now = 0;
    scripted.clear();
    daemon = await FakeDaemon.start();
    daemon.on('GET', '/tasks', (req) => {
      const filters = JSON.parse(req.query.filters ?? '{}') as Record<string, string[]>;
      return { body: scripted.get(filters.service?.[0] ?? '')?.() ?? [] };
    });
    daemon.on('GET', '/nodes', {
      body: [{ ID: NODE, Status: { State: 'ready' } }],
    });
    daemon.on('POST', '/services/create', { status: 201, body: { ID: NEW_ID, Warnings: null } });
    for (const svc of [webService, migrateService]) {
      daemon.on('GET', `/services/${svc.Spec?.Name}`, { body: svc });
      daemon.on('POST', `/services/${svc.ID}/update`, { body: { Warnings: null } });
    }
  });
  afterEach(() => daemon.stop());

  const shoal = (args: string[], extra: { isTTY?: boolean; onInterrupt?: never } = {}) =>
    runShoal(args, { host: daemon.socketPath, ctx: { ...ctx, ...extra } });

  it('update follows the rollout until the updater completes, polling as docker does', async () => {
    script(webService, [
      { status: { State: 'updating' }, tasks: [] },
      { status: { State: 'updating' }, tasks: ['running', 'preparing'] },
      { status: { State: 'updating' }, tasks: ['running', 'running', 'running'] },
      {
        status: { State: 'completed', Message: 'update completed' },
        tasks: ['running', 'running', 'running'],
      },
    ]);
    const result = await shoal(['service', 'update', '--force', 'web']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const full = `[${'='.repeat(50)}>]`;
    expect(result.stdout).toBe(
      [
        'web',
        'overall progress: 0 out of 3 tasks',
        '1/3:',
        '2/3:',
        '3/3:',
        'overall progress: 1 out of 3 tasks',
        `1/3: running   ${full}`,
        `2/3: preparing [${'='.repeat(33)}>${' '.repeat(17)}]`,
        'overall progress: 3 out of 3 tasks',
        `2/3: running   ${full}`,
        `3/3: running   ${full}`,
        'verify: Waiting 5 seconds to verify that tasks are stable...',
        'verify: Service web converged',
        '',
      ].join('\n'),
    );
    const filters = encodeURIComponent(
      JSON.stringify({ service: [WEB_ID], '_up-to-date': ['true'] }),
    );
    expect(daemon.requestLines().slice(0, 5)).toEqual([
      'GET /v1.44/services/web',
      `POST /v1.44/services/${WEB_ID}/update?version=42`,
      `GET /v1.44/services/${WEB_ID}`,
      `GET /v1.44/tasks?filters=${filters}`,
      'GET /v1.44/nodes',
    ]);
  });

  it('without an update status, waits until the tasks have run for Monitor', async () => {
    const created: Service = { ...webService, ID: NEW_ID, UpdateStatus: undefined };
    script(created, [{ tasks: ['running', 'running', 'running'] }]);
    const result = await shoal(['service', 'create', '--name', 'web', '--replicas', '3', 'nginx']);
    expect(result.code).toBe(0);
    const waits = result.stdout.match(/^verify: Waiting \d seconds.*$/gm);
    expect(waits).toEqual(
      [5, 4, 3, 2, 1].map((n) => `verify: Waiting ${n} seconds to verify that tasks are stable...`),
    );
    expect(result.stdout.endsWith(`verify: Service ${NEW_ID} converged\n`)).toBe(true);
    expect(now).toBeGreaterThanOrEqual(5_000);
  });

  it('while the updater is still at work, the Monitor timer alone does not end the wait', async () => {
    const running: Poll = {
      status: { State: 'updating' },
      tasks: ['running', 'running', 'running'],
    };
    // 10 s of polls (50 at 200 ms) with every task running, well past the 5 s Monitor.
    script(webService, [
      ...Array.from({ length: 50 }, () => running),
      { status: { State: 'completed' }, tasks: running.tasks },
    ]);
    const result = await shoal(['service', 'update', '--force', 'web']);
    expect(result.code).toBe(0);
    expect(now).toBeGreaterThanOrEqual(10_000);
    expect(result.stdout).toMatch(
      /verify: Waiting 1 seconds to verify that tasks are stable\.\.\.\n/,
    );
    expect(
      result.stdout.endsWith(
        'verify: Waiting for the update to complete...\nverify: Service web converged\n',
      ),
    ).toBe(true);
  });

  it('an update that pauses exits 1 with the message', async () => {
    const message = `update paused due to failure or early termination of task ${FAILED_TASK}`;
    script(webService, [
      { status: { State: 'updating' }, tasks: ['starting'] },
      { status: { State: 'paused', Message: message }, tasks: ['failed'], err: 'exit 3' },
    ]);
    const result = await shoal(['service', 'update', '--image', 'bad', 'web']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`service update paused: ${message}\n`);
    expect(result.stdout).toContain('1/3: starting');
  });

  it('an automatic rollback is followed to its end, then the update fails', async () => {
    const message = `update rolled back due to failure or early termination of task ${FAILED_TASK}`;
    script(webService, [
      { status: { State: 'updating' }, tasks: ['failed'] },
      { status: { State: 'rollback_started', Message: message }, tasks: ['running'] },
      {
        status: { State: 'rollback_completed', Message: 'rollback completed' },
        tasks: ['running', 'running', 'running'],
      },
    ]);
    const result = await shoal(['service', 'update', '--image', 'bad', 'web']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`service update failed: ${message}\n`);
    expect(result.stdout).toContain(`rollback: ${message}\n`);
    expect(result.stdout).toContain('overall progress: rolling back update: 3 out of 3 tasks\n');
    expect(result.stdout).toMatch(/verify: Service web converged\nrollback: rollback completed\n$/);
  });

  it('service rollback (and update --rollback) succeed when the rollback completes', async () => {
    const polls: Poll[] = [
      { status: { State: 'rollback_started', Message: 'manually requested rollback' }, tasks: [] },
      {
        status: { State: 'rollback_completed', Message: 'rollback completed' },
        tasks: ['running', 'running', 'running'],
      },
    ];
    script(webService, polls);
    const rollback = await shoal(['service', 'rollback', 'web']);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain('rollback: manually requested rollback\n');
    expect(rollback.stdout).toMatch(
      /verify: Service web converged\nrollback: rollback completed\n$/,
    );
    expect(daemon.requestLines()[1]).toBe(
      `POST /v1.44/services/${WEB_ID}/update?version=42&rollback=previous`,
    );
    expect(daemon.requests[1]?.body).toEqual(webService.PreviousSpec);

    script(webService, polls);
    const viaUpdate = await shoal(['service', 'update', '--rollback', 'web']);
    expect(viaUpdate.code).toBe(0);
  });

  it('a rollback already complete at the first poll still says it was requested', async () => {
    script(webService, [
      {
        status: { State: 'rollback_completed', Message: 'rollback completed' },
        tasks: ['running', 'running', 'running'],
      },
    ]);
    const rollback = await shoal(['service', 'rollback', 'web']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain('rollback: manually requested rollback\n');
    expect(rollback.stdout).toMatch(
      /verify: Service web converged\nrollback: rollback completed\n$/,
    );
  });

  it('service rollback -d returns at once; rollback -q waits silently', async () => {
    script(webService, [
      { status: { State: 'rollback_completed' }, tasks: ['running', 'running', 'running'] },
    ]);
    expect(await shoal(['service', 'rollback', '-d', 'web'])).toEqual({
      code: 0,
      stdout: 'web\n',
      stderr: '',
    });
    expect(daemon.requests).toHaveLength(2);
    expect(await shoal(['service', 'rollback', '-q', 'web'])).toEqual({
      code: 0,
      stdout: 'web\n',
      stderr: '',
    });
    expect(daemon.requestLines()).toContain(`GET /v1.44/services/${WEB_ID}`);
  });

  it('a service with no previous spec cannot be rolled back', async () => {
    daemon.on('GET', '/services/web', { body: { ...webService, PreviousSpec: undefined } });
    const result = await shoal(['service', 'rollback', 'web']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'service web has no previous spec to roll back to\n',
    });
  });

  it('a canary pause is waited through, showing why', async () => {
    script(webService, [
      {
        status: { State: 'paused', Message: 'canary: 1 of 3 tasks updated; waiting for promotion' },
        tasks: ['running'],
      },
      { status: { State: 'updating' }, tasks: ['running', 'running'] },
      { status: { State: 'completed' }, tasks: ['running', 'running', 'running'] },
    ]);
    const result = await shoal(['service', 'update', '--image', 'v2', 'web']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('canary: 1 of 3 tasks updated; waiting for promotion\n');
  });

  it('Ctrl-C stops watching and leaves the service alone', async () => {
    script(webService, [{ status: { State: 'updating' }, tasks: ['starting'] }]);
    let interrupt: (() => void) | undefined;
    let polls = 0;
    const result = await runShoal(['service', 'update', '--force', 'web'], {
      host: daemon.socketPath,
      ctx: {
        clock: () => now,
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => (interrupt = undefined);
        },
        sleep: () => {
          if (++polls === 2) interrupt?.();
          return Promise.resolve();
        },
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Operation continuing in background\.\nUse `shoal service ps web` to check progress\.\n$/,
    );
    expect(interrupt).toBeUndefined(); // the handler was removed
    expect(daemon.requests.filter((r) => r.method !== 'GET')).toHaveLength(1);
  });

  it('on a terminal the frame is redrawn in place', async () => {
    script(webService, [
      { status: { State: 'updating' }, tasks: ['starting'] },
      { status: { State: 'completed' }, tasks: ['running', 'running', 'running'] },
    ]);
    const result = await shoal(['service', 'update', '--force', 'web'], { isTTY: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\u001b[4A\r\u001b[2K'); // back over 4 lines
    expect(result.stdout).toContain('\u001b[2Kverify: Service web converged\n');
  });

  it('scale scales every service first, then waits on each; a job ends when complete', async () => {
    script(webService, [
      { status: { State: 'completed' }, tasks: ['running', 'running', 'running'] },
    ]);
    const job: Service = {
      ...migrateService,
      Spec: { ...migrateService.Spec, Mode: { ReplicatedJob: { TotalCompletions: 1 } } },
      JobStatus: { JobIteration: { Index: 1 } },
    };
    script(job, [{ tasks: ['running'] }, { tasks: ['complete'] }]);
    scripted.set(MIGRATE_ID, () =>
      tasksIn(MIGRATE_ID, { tasks: [now > 0 ? 'complete' : 'running'] }).map((t) => ({
        ...t,
        JobIteration: { Index: 1 },
        DesiredState: 'complete',
      })),
    );
    const result = await shoal(['service', 'scale', 'web=3', 'migrate=1']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('web scaled to 3\nmigrate scaled to 1\n')).toBe(true);
    expect(result.stdout).toContain('verify: Service web converged\n');
    expect(result.stdout).toMatch(/job progress: 1 out of 1 complete .*\n(.*\n)*job: complete\n$/);
  });

  it('scale reports a service whose wait fails and still waits on the others', async () => {
    script(webService, [{ status: { State: 'paused', Message: 'stuck' }, tasks: [] }]);
    const result = await shoal(['service', 'scale', 'web=3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('web: service update paused: stuck\n');
  });
});
