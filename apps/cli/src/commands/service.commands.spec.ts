import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import {
  AGENT_ID,
  MIGRATE_ID,
  WEB_ID,
  agentService,
  migrateService,
  webService,
} from '../../test/swarm.fixtures';

const NEW_ID = 'xc0rj7ss2dnl2c4gf1jpqcrkt';

describe('shoal service (changes)', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
    daemon.on('POST', '/services/create', { status: 201, body: { ID: NEW_ID, Warnings: null } });
    for (const svc of [webService, agentService, migrateService]) {
      daemon.on('GET', `/services/${svc.Spec?.Name}`, { body: svc });
      daemon.on('POST', `/services/${svc.ID}/update`, { body: { Warnings: null } });
    }
    daemon.on('GET', '/services/nope', {
      status: 404,
      body: { message: 'service nope not found' },
    });
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) =>
    runShoal(args, { host: daemon.socketPath, env: { SECRET: 'from-env' } });

  describe('create', () => {
    it('sends only what was given and prints the new ID', async () => {
      const result = await shoal('service', 'create', '-d', 'nginx:alpine');
      expect(result).toEqual({ code: 0, stdout: `${NEW_ID}\n`, stderr: '' });
      expect(daemon.requestLines()).toEqual(['POST /v1.44/services/create']);
      expect(daemon.requests[0]?.body).toEqual({
        TaskTemplate: { ContainerSpec: { Image: 'nginx:alpine' } },
      });
    });

    it('turns the flags into the spec', async () => {
      const result = await shoal(
        'service',
        'create',
        '--name',
        'web',
        '--replicas',
        '3',
        '-e',
        'A=1',
        '--env',
        'SECRET',
        '-l',
        'tier=front',
        '--container-label',
        'c=1',
        '--constraint',
        'node.role==worker',
        '--placement-pref',
        'spread=node.labels.zone',
        '-p',
        '8080:80',
        '-p',
        'published=8443,target=443,mode=host',
        '--publish',
        '53/udp',
        '--mount',
        'type=bind,source=/srv,target=/usr/share/nginx/html,readonly',
        '--reserve-cpu',
        '0.25',
        '--reserve-memory',
        '64m',
        '--limit-cpu',
        '1.5',
        '--limit-memory',
        '1g',
        '--restart-condition',
        'on-failure',
        '--restart-delay',
        '5s',
        '--restart-max-attempts',
        '3',
        '--restart-window',
        '2m',
        '--update-parallelism',
        '2',
        '--update-delay',
        '10s',
        '--update-failure-action',
        'rollback',
        '--update-monitor',
        '30s',
        '--update-max-failure-ratio',
        '0.2',
        '--update-order',
        'start-first',
        '--rollback-parallelism',
        '1',
        '--rollback-delay',
        '1s',
        '--rollback-failure-action',
        'pause',
        '--rollback-monitor',
        '5s',
        '--rollback-max-failure-ratio',
        '0',
        '--rollback-order',
        'stop-first',
        '--health-cmd',
        'curl -f http://localhost/',
        '--health-interval',
        '30s',
        '--health-timeout',
        '3s',
        '--health-retries',
        '2',
        '--health-start-period',
        '1m30s',
        '--stop-grace-period',
        '20s',
        '-w',
        '/app',
        '-u',
        'www-data',
        '--hostname',
        'web-host',
        '--detach',
        'nginx:1.25',
      );
      expect(result).toEqual({ code: 0, stdout: `${NEW_ID}\n`, stderr: '' });
      expect(daemon.requests[0]?.body).toEqual({
        Name: 'web',
        Labels: { tier: 'front' },
        TaskTemplate: {
          ContainerSpec: {
            Image: 'nginx:1.25',
            Env: ['A=1', 'SECRET=from-env'],
            Labels: { c: '1' },
            Mounts: [
              { Target: '/usr/share/nginx/html', Source: '/srv', Type: 'bind', ReadOnly: true },
            ],
            HealthCheck: {
              Test: ['CMD-SHELL', 'curl -f http://localhost/'],
              Interval: 30_000_000_000,
              Timeout: 3_000_000_000,
              Retries: 2,
              StartPeriod: 90_000_000_000,
            },
            Hostname: 'web-host',
            Dir: '/app',
            User: 'www-data',
            StopGracePeriod: 20_000_000_000,
          },
          Placement: {
            Constraints: ['node.role==worker'],
            Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
          },
          Resources: {
            Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 67_108_864 },
            Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 1_073_741_824 },
          },
          RestartPolicy: {
            Condition: 'on-failure',
            Delay: 5_000_000_000,
            MaxAttempts: 3,
            Window: 120_000_000_000,
          },
        },
        Mode: { Replicated: { Replicas: 3 } },
        EndpointSpec: {
          Ports: [
            { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
            { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
            { Protocol: 'udp', TargetPort: 53, PublishMode: 'ingress' },
          ],
        },
        UpdateConfig: {
          Parallelism: 2,
          Delay: 10_000_000_000,
          FailureAction: 'rollback',
          Monitor: 30_000_000_000,
          MaxFailureRatio: 0.2,
          Order: 'start-first',
        },
        RollbackConfig: {
          Parallelism: 1,
          Delay: 1_000_000_000,
          FailureAction: 'pause',
          Monitor: 5_000_000_000,
          MaxFailureRatio: 0,
          Order: 'stop-first',
        },
      });
    });

    it('everything after IMAGE is the command line, flags included', async () => {
      await shoal(
        'service',
        'create',
        '--name',
        'pinger',
        'alpine',
        'ping',
        '-c',
        '3',
        '--name',
        'x',
      );
      expect(daemon.requests[0]?.body).toEqual({
        Name: 'pinger',
        TaskTemplate: {
          ContainerSpec: { Image: 'alpine', Args: ['ping', '-c', '3', '--name', 'x'] },
        },
      });
    });

    it('--no-healthcheck and job modes', async () => {
      await shoal(
        'service',
        'create',
        '--mode',
        'replicated-job',
        '--replicas',
        '5',
        '--max-concurrent',
        '2',
        '--no-healthcheck',
        'app:2',
      );
      expect(daemon.requests[0]?.body).toEqual({
        TaskTemplate: { ContainerSpec: { Image: 'app:2', HealthCheck: { Test: ['NONE'] } } },
        Mode: { ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 } },
      });
    });

    it('prints daemon warnings on stderr', async () => {
      daemon.on('POST', '/services/create', {
        status: 201,
        body: { ID: NEW_ID, Warnings: ['unable to pin image nginx to digest'] },
      });
      const result = await shoal('service', 'create', '--detach', 'nginx');
      expect(result).toEqual({
        code: 0,
        stdout: `${NEW_ID}\n`,
        stderr: 'WARNING: unable to pin image nginx to digest\n',
      });
    });

    it.each([
      [
        ['--update-delay', '10'],
        "option '--update-delay <duration>' argument '10' is invalid",
        'missing unit',
      ],
      [
        ['--restart-window', '1d'],
        "option '--restart-window <duration>' argument '1d' is invalid",
        'units ns, us, ms, s, m, h',
      ],
      [
        ['-p', '80:http'],
        "option '-p, --publish <port>' argument '80:http' is invalid",
        '[PUBLISHED:]TARGET[/PROTOCOL]',
      ],
      [
        ['--mount', 'target'],
        "option '--mount <mount>' argument 'target' is invalid",
        'target needs a value',
      ],
      [
        ['--reserve-memory', 'lots'],
        "option '--reserve-memory <bytes>' argument 'lots' is invalid",
        '512m',
      ],
      [
        ['--limit-cpu', 'two'],
        "option '--limit-cpu <cpus>' argument 'two' is invalid",
        'decimal number of CPUs',
      ],
      [
        ['--replicas', '-1'],
        "option '--replicas <n>' argument '-1' is invalid",
        'non-negative integer',
      ],
      [['--update-max-failure-ratio', '2'], "argument '2' is invalid", 'between 0 and 1'],
      [
        ['--mode', 'daemonset'],
        "argument 'daemonset' is invalid",
        'Allowed choices are replicated, global',
      ],
      [
        ['--placement-pref', 'pack=x'],
        "argument 'pack=x' is invalid",
        'spread is the only strategy',
      ],
      [['--bogus'], "unknown option '--bogus'", "See 'shoal service create --help'."],
    ])('a bad flag %j exits 125 without calling the daemon', async (flags, where, why) => {
      const result = await shoal('service', 'create', ...flags, 'nginx');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(where);
      expect(result.stderr).toContain(why);
      expect(daemon.requests).toEqual([]);
    });

    it('flag combinations the CLI can judge are usage errors too', async () => {
      const replicas = await shoal(
        'service',
        'create',
        '--mode',
        'global',
        '--replicas',
        '2',
        'nginx',
      );
      expect(replicas).toEqual({
        code: 125,
        stdout: '',
        stderr: '--replicas can only be used with replicated or replicated-job mode, not global\n',
      });
      const health = await shoal(
        'service',
        'create',
        '--no-healthcheck',
        '--health-retries',
        '2',
        'nginx',
      );
      expect(health.code).toBe(125);
      expect(daemon.requests).toEqual([]);
    });

    it('needs an image', async () => {
      const result = await shoal('service', 'create');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain("missing required argument 'image'");
    });

    it('a name conflict from the daemon exits 1', async () => {
      daemon.on('POST', '/services/create', {
        status: 409,
        body: { message: 'service web already exists' },
      });
      expect(await shoal('service', 'create', '--name', 'web', 'nginx')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: service web already exists\n',
      });
    });
  });

  describe('update', () => {
    it('reads the service and posts its modified spec at its version', async () => {
      const result = await shoal(
        'service',
        'update',
        '--image',
        'nginx:1.26',
        '--env-add',
        'B=2',
        '--env-rm',
        'A',
        '--label-add',
        'owner=ops',
        '--label-rm',
        'tier',
        '--constraint-add',
        'node.labels.zone==a',
        '--publish-add',
        '9090:90',
        '--publish-rm',
        '81',
        '--update-parallelism',
        '3',
        '--replicas',
        '5',
        '--force',
        '--detach',
        'web',
      );
      expect(result).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/services/web',
        `POST /v1.44/services/${WEB_ID}/update?version=42`,
      ]);
      expect(daemon.requests[1]?.body).toEqual({
        Name: 'web',
        Labels: { owner: 'ops' },
        TaskTemplate: {
          ContainerSpec: { Image: 'nginx:1.26', Env: ['B=2'] },
          Placement: { Constraints: ['node.labels.zone==a'] },
          ForceUpdate: 1,
        },
        Mode: { Replicated: { Replicas: 5 } },
        EndpointSpec: {
          Ports: [
            { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
            { Protocol: 'tcp', TargetPort: 90, PublishedPort: 9090, PublishMode: 'ingress' },
          ],
        },
        UpdateConfig: { Parallelism: 3 },
      });
    });

    it('--rollback posts the previous spec with rollback=previous', async () => {
      const result = await shoal('service', 'update', '--rollback', '-d', 'web');
      expect(result).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/services/web',
        `POST /v1.44/services/${WEB_ID}/update?version=42&rollback=previous`,
      ]);
      expect(daemon.requests[1]?.body).toEqual(webService.PreviousSpec);
    });

    it('--rollback cannot be combined with changes', async () => {
      const result = await shoal(
        'service',
        'update',
        '--rollback',
        '--image',
        'x',
        '--replicas',
        '2',
        'web',
      );
      expect(result).toEqual({
        code: 125,
        stdout: '',
        stderr: '--rollback cannot be combined with other flags (--image, --replicas)\n',
      });
      expect(daemon.requests).toEqual([]);
    });

    it('--rollback without a previous spec fails', async () => {
      const result = await shoal('service', 'update', '--rollback', 'agent');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('service agent has no previous spec to roll back to\n');
    });

    it('--replicas on a global service is a usage error', async () => {
      const result = await shoal('service', 'update', '--replicas', '2', 'agent');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('not global');
      expect(daemon.requestLines()).toEqual(['GET /v1.44/services/agent']);
    });

    it('an unknown service exits 1 with the daemon message', async () => {
      expect(await shoal('service', 'update', '--force', 'nope')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: service nope not found\n',
      });
    });
  });

  describe('scale', () => {
    it('sets replicas (or job completions) per service and keeps going past failures', async () => {
      const result = await shoal(
        'service',
        'scale',
        '-d',
        'web=5',
        'agent=2',
        'migrate=10',
        'nope=1',
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('web scaled to 5\nmigrate scaled to 10\n');
      expect(result.stderr).toBe(
        'agent: scale can only be used with replicated or replicated-job mode (it is global)\n' +
          'Error response from daemon: service nope not found\n',
      );
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/services/web',
        `POST /v1.44/services/${WEB_ID}/update?version=42`,
        'GET /v1.44/services/agent',
        'GET /v1.44/services/migrate',
        `POST /v1.44/services/${MIGRATE_ID}/update?version=3`,
        'GET /v1.44/services/nope',
      ]);
      expect((daemon.requests[1]?.body as { Mode: unknown }).Mode).toEqual({
        Replicated: { Replicas: 5 },
      });
      expect((daemon.requests[4]?.body as { Mode: unknown }).Mode).toEqual({
        ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 10 },
      });
    });

    it('checks every specifier before changing anything', async () => {
      const result = await shoal('service', 'scale', 'web=5', 'agent');
      expect(result.code).toBe(125);
      expect(result.stderr).toBe(
        'invalid scale specifier "agent": expected SERVICE=REPLICAS (e.g. web=3)\n',
      );
      expect(daemon.requests).toEqual([]);
    });
  });

  it('rm removes each service and reports the missing ones', async () => {
    daemon.on('DELETE', '/services/web', { status: 200 });
    daemon.on('DELETE', '/services/nope', {
      status: 404,
      body: { message: 'service nope not found' },
    });
    daemon.on('DELETE', `/services/${AGENT_ID}`, { status: 200 });
    const result = await shoal('service', 'rm', 'web', 'nope', AGENT_ID);
    expect(result).toEqual({
      code: 1,
      stdout: `web\n${AGENT_ID}\n`,
      stderr: 'Error response from daemon: service nope not found\n',
    });
  });
});
