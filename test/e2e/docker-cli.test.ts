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
 * The stock docker CLI, unchanged, against shoald: DOCKER_HOST=unix://<socket> and nothing
 * else. Every docker binary found below gets the same scenario against its own fresh daemon,
 * so the oldest CLI CI installs (Debian's docker.io, 20.10, API 1.41) and a current one (28.x,
 * which negotiates down to our 1.44) are both held to it.
 */

/** Per docker command; a hung command (e.g. waiting for convergence) fails instead of hanging. */
const COMMAND_TIMEOUT_MS = 20_000;
/** For tests that run a few commands in a row. */
const MULTI_COMMAND_TEST_TIMEOUT_MS = 3 * COMMAND_TIMEOUT_MS;

const SERVICE_ID = /^[0-9a-z]{25}$/;
const LAST_MANAGER_MESSAGE =
  'You are attempting to leave the swarm on a node that is participating as a manager. ' +
  'Removing the last manager erases all current state of the swarm. ' +
  'Use `--force` to ignore this message.';

it('finds a docker CLI to test with', () => {
  // describe.each over no CLIs would run nothing and pass; a missing CLI must fail instead.
  expect(CLIS, NO_CLI_MESSAGE).not.toHaveLength(0);
});

describe.each(CLIS)('the docker CLI at %s against shoald', (bin) => {
  let daemon: ShoaldProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  let nodeId = '';
  let serviceId = '';

  /** Runs `docker <args>` against this suite's daemon; never rejects on a non-zero exit. */
  const docker = (...args: string[]): Promise<CliResult> =>
    runCommand(bin, args, env, COMMAND_TIMEOUT_MS);

  /** Like docker(), but the command must succeed; shows its output when it does not. */
  const ok = async (...args: string[]): Promise<CliResult> => {
    const r = await docker(...args);
    expect(r.code, `docker ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };

  const inspectService = async (ref: string): Promise<InspectedService> => {
    const list = JSON.parse((await ok('service', 'inspect', ref)).stdout) as InspectedService[];
    expect(list).toHaveLength(1);
    return list[0]!;
  };

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-docker-');
    env = await dockerEnvFor(daemon);
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('docker swarm init makes this node a manager', async () => {
    const r = await ok('swarm', 'init');
    const m = /^Swarm initialized: current node \(([0-9a-z]{25})\) is now a manager\.$/m.exec(
      r.stdout,
    );
    expect(m, r.stdout).not.toBeNull();
    nodeId = m![1]!;
  });

  it('docker info shows an active swarm with this node as its only manager', async () => {
    const { stdout } = await ok('info');
    const line = (text: string) => new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`, 'm');
    expect(stdout).toMatch(line('Swarm: active'));
    expect(stdout).toMatch(line(`NodeID: ${nodeId}`));
    expect(stdout).toMatch(line('Is Manager: true'));
    expect(stdout).toMatch(line('Managers: 1'));
    expect(stdout).toMatch(line('Nodes: 1'));
  });

  it('docker node ls lists this node, ready, active and leader', async () => {
    const rows = parseTable((await ok('node', 'ls')).stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      // The CLI marks the node it is talking to with a `*` after the ID.
      ID: `${nodeId} *`,
      STATUS: 'Ready',
      AVAILABILITY: 'Active',
      'MANAGER STATUS': 'Leader',
    });
  });

  it('docker service create prints the new service ID', async () => {
    // --detach: the CLI otherwise waits for the tasks to converge, and there are no tasks
    // until the orchestrator lands, so it would wait forever. With it the CLI returns once
    // the service is created.
    const r = await ok(
      'service',
      'create',
      '--detach',
      '--name',
      'web',
      '--replicas',
      '3',
      'busybox',
      'sleep',
      '1d',
    );
    // Only the ID on stdout; the CLI's "could not be accessed on a registry" notice (Shoal
    // answers 501 for /distribution) goes to stderr.
    serviceId = r.stdout.trim();
    expect(serviceId).toMatch(SERVICE_ID);
  });

  it('docker service ls shows it: replicated, 0/3, busybox', async () => {
    const rows = parseTable((await ok('service', 'ls')).stdout);
    expect(rows).toEqual([
      {
        ID: serviceId.slice(0, 12),
        NAME: 'web',
        MODE: 'replicated',
        REPLICAS: '0/3',
        IMAGE: 'busybox:latest',
        PORTS: '',
      },
    ]);
  });

  it("docker service inspect shows the spec with Swarm's defaults filled in", async () => {
    const service = await inspectService('web');
    expect(service.ID).toBe(serviceId);
    expect(service.PreviousSpec).toBeUndefined();
    const spec = service.Spec;
    expect(spec.Name).toBe('web');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({
      Image: 'busybox:latest',
      Args: ['sleep', '1d'],
    });
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 1, FailureAction: 'pause' });
    expect(spec.TaskTemplate.RestartPolicy).toMatchObject({ Condition: 'any' });
    expect(spec.EndpointSpec).toMatchObject({ Mode: 'vip' });
  });

  it(
    'docker service update --replicas 5 scales it and keeps the old spec as PreviousSpec',
    async () => {
      const before = await inspectService('web');
      // --detach for the same reason as on create: no tasks to converge yet.
      const r = await ok('service', 'update', '--detach', '--replicas', '5', 'web');
      expect(r.stdout.trim()).toBe('web');
      const after = await inspectService('web');
      expect(after.ID).toBe(serviceId);
      expect(after.Version.Index).toBeGreaterThan(before.Version.Index);
      expect(after.Spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
      expect(after.PreviousSpec?.Mode).toEqual({ Replicated: { Replicas: 3 } });
      expect(after.PreviousSpec?.Name).toBe('web');
    },
    MULTI_COMMAND_TEST_TIMEOUT_MS,
  );

  it(
    "prints a refused request as Docker does: 'Error response from daemon: <message>'",
    async () => {
      const r = await docker(
        'service',
        'create',
        '--detach',
        '--name',
        'bad',
        '--constraint',
        'node.foo==x',
        'busybox',
      );
      expect(r.code).not.toBe(0);
      // The CLI decodes {"message": ...} only from a well-formed JSON error response;
      // otherwise it would print the raw body.
      expect(r.stderr).toMatch(/^Error response from daemon: .*'node\.foo'/m);
      expect(r.stderr).not.toContain('{"message"');
      expect(r.stdout).not.toMatch(SERVICE_ID);
      // And nothing was created.
      expect((await ok('service', 'ls', '--quiet', '--filter', 'name=bad')).stdout.trim()).toBe('');
    },
    MULTI_COMMAND_TEST_TIMEOUT_MS,
  );

  it('docker service inspect of an unknown service fails', async () => {
    const r = await docker('service', 'inspect', 'nope');
    expect(r.code).not.toBe(0);
    // The CLI says "no such service" only for a 404 from the daemon; another status would
    // be printed as "Error response from daemon: ...".
    expect(r.stderr).toContain('no such service: nope');
  });

  it(
    "docker swarm leave on the last manager is refused with Docker's message",
    async () => {
      const r = await docker('swarm', 'leave');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`Error response from daemon: ${LAST_MANAGER_MESSAGE}`);
      // Refused, so still in the swarm.
      const state = await ok('info', '--format', '{{.Swarm.LocalNodeState}}');
      expect(state.stdout.trim()).toBe('active');
    },
    MULTI_COMMAND_TEST_TIMEOUT_MS,
  );

  it(
    'docker service rm removes it and docker service ls is empty',
    async () => {
      const r = await ok('service', 'rm', 'web');
      expect(r.stdout.trim()).toBe('web');
      const ls = (await ok('service', 'ls')).stdout;
      expect(parseTable(ls)).toEqual([]);
      expect(ls).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\s*$/m);
    },
    MULTI_COMMAND_TEST_TIMEOUT_MS,
  );

  it('docker swarm join adds a second shoald as a worker, and docker node ls shows it', async () => {
    const second = await ShoaldProcess.inTempDir('shoal-e2e-docker-join-');
    try {
      await second.start();
      const token = (await ok('swarm', 'join-token', '-q', 'worker')).stdout.trim();
      expect(token).toMatch(/^SWMTKN-1-/);
      const joined = await runCommand(
        bin,
        ['swarm', 'join', '--token', token, daemon!.o.listenAddr],
        { ...env, DOCKER_HOST: `unix://${second.socket}` },
        COMMAND_TIMEOUT_MS,
      );
      expect(joined.code, joined.stderr).toBe(0);
      expect(joined.stdout).toContain('This node joined a swarm as a worker.');
      const rows = (await ok('node', 'ls')).stdout.trim().split('\n').slice(1);
      expect(rows).toHaveLength(2);
    } finally {
      await second.dispose();
    }
  });

  it('the daemon logged no internal errors and exits 0 on SIGTERM', async () => {
    // Stopped first so its (asynchronous) log is flushed. 500s are logged by the API's
    // exception filter; nothing the CLI sent may have caused one.
    expect(await daemon!.stop()).toBe(0);
    expect(daemon!.stderr).not.toContain('control API request failed');
  });
});

/** What the tests read from `docker service inspect`. */
interface InspectedService {
  ID: string;
  Version: { Index: number };
  Spec: InspectedSpec;
  PreviousSpec?: InspectedSpec;
}

interface InspectedSpec {
  Name: string;
  Mode: unknown;
  TaskTemplate: {
    ContainerSpec: Record<string, unknown>;
    RestartPolicy: Record<string, unknown>;
  };
  UpdateConfig: Record<string, unknown>;
  EndpointSpec: Record<string, unknown>;
}

/**
 * Parses the CLI's tabwriter tables. Columns start where the header's names start (a name
 * may hold single spaces, "MANAGER STATUS"; columns are at least two spaces apart), and every
 * row is aligned to them.
 */
function parseTable(stdout: string): Record<string, string>[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) throw new Error('expected a table, got no output');
  const columns = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({
    name: m[0],
    start: m.index,
  }));
  return lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(
        columns.map((c, i) => [
          c.name,
          line.slice(c.start, columns[i + 1]?.start ?? line.length).trim(),
        ]),
      ),
    );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
