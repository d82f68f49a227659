/**
 * `npm run demo`: the main job. Starts a local shoald from the build (state dir, socket and
 * cluster port of its own under a temp dir), makes it a one-node swarm with the `shoal` CLI,
 * deploys a sample replicated service of 3 replicas on the embedded default executor (Docker
 * where /var/run/docker.sock answers, host processes otherwise), shows `service ps` until all
 * three run, checks that each answers HTTP, kills shoald with SIGKILL and restarts it to show
 * the replicas keep running, then prints how to reach the service and how to stop. shoald
 * serves Prometheus metrics on a loopback port; the demo shows the service's replica series.
 *
 * On a terminal it then waits for Ctrl-C; with `--exit` (or without a terminal) it stops at
 * once. `--executor process|docker` overrides the automatic choice. Either way it removes the service, stops shoald and deletes its temp dir. The last
 * line is one JSON object of what it measured.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { freePorts } from '../test/support/free-port';
import { SHOAL_MAIN, ShoaldProcess, REPO_ROOT } from '../test/support/shoald/shoald-process';
import { unixRequest } from '../test/support/shoald/unix-http';

const REPLICAS = 3;
/** Process executor: replica N listens on BASE_PORT + N (host processes share one network). */
const BASE_PORT = 18080;
const CONVERGE_TIMEOUT_MS = 60_000;

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TaskView {
  ID: string;
  Slot: number;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
}

/** A tiny HTTP server in plain Node, for hosts with no engine: no image needed. */
const NODE_SERVER =
  "const slot=Number(process.env.SHOAL_TASK_SLOT);require('http').createServer((q,s)=>" +
  "s.end('hello from replica '+slot+' (pid '+process.pid+')\\n')).listen(Number(process.env.BASE_PORT)+slot,'127.0.0.1')";

/** busybox httpd in the locally imported image; each container says who it is. */
const BUSYBOX_SERVER =
  'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www';

async function main(): Promise<void> {
  const interactive = process.stdout.isTTY && !process.argv.includes('--exit');
  const daemon = await ShoaldProcess.inTempDir('shoal-demo-');
  const asked = process.argv.indexOf('--executor');
  const [metricsPort] = await freePorts(1);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  daemon.o.extraArgs = [
    '--executor',
    asked > 0 ? (process.argv[asked + 1] ?? 'auto') : 'auto',
    '--metrics-addr',
    `127.0.0.1:${metricsPort}`,
  ];
  const socket = daemon.socket;
  const port = daemon.o.listenAddr.split(':')[1]!;
  const api = async <T>(method: string, p: string, body?: unknown): Promise<T> =>
    (await unixRequest(socket, method, `/v1.44${p}`, body)).json as T;
  const run = (args: string[]): string =>
    execFileSync(process.execPath, [SHOAL_MAIN, '-H', `unix://${socket}`, ...args], {
      encoding: 'utf8',
    });
  const shoal = (...args: string[]): string => {
    say(`$ shoal ${args.map((a) => (/[\s'"();]/.test(a) ? `'${a}'` : a)).join(' ')}`);
    const out = run(args);
    if (out.trim()) process.stdout.write(out.trimEnd().replace(/^/gm, '  ') + '\n');
    return out;
  };

  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    say('cleaning up: removing the service, stopping shoald, deleting its state');
    try {
      run(['service', 'rm', 'hello']);
      // Give the agent a moment to stop the replicas before the daemon goes.
      for (let i = 0; i < 50 && (await serviceTasksAlive()) > 0; i++) await sleep(100);
    } catch {
      // no service (yet), or shoald is already gone
    }
    await daemon.dispose();
  };
  const serviceTasksAlive = async () =>
    (await api<TaskView[]>('GET', '/tasks')).filter((t) =>
      ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'].includes(
        t.Status.State,
      ),
    ).length;

  daemon.o.detached = true;
  // `on`, not `once`: tsx relays the terminal's SIGINT, so it may arrive twice. A closed
  // terminal (SIGHUP) or a plain kill (SIGTERM) cleans up the same way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      say('');
      void cleanup().then(() => process.exit(130));
    });
  }

  try {
    say(`starting shoald (state in ${daemon.dir})`);
    await daemon.start();
    shoal('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`);
    // The node's agent reports which executor it chose once its session opens.
    const info = await api<{ Swarm: { NodeID: string } }>('GET', '/info');
    let executor = '';
    for (let i = 0; i < 100 && !['docker', 'process'].includes(executor); i++) {
      const self = await api<{ Description: { Engine: { Labels: Record<string, string> } } }>(
        'GET',
        `/nodes/${info.Swarm.NodeID}`,
      );
      executor = self.Description.Engine.Labels['shoal.executor'] ?? '';
      await sleep(100);
    }
    say(`this node runs tasks with the ${executor} executor`);

    if (executor === 'docker') {
      say('making the busybox:local image (no registry is reachable here)');
      execFileSync('bash', [path.join(REPO_ROOT, 'scripts/make-busybox-image.sh')], {
        stdio: 'inherit',
      });
      shoal(
        'service',
        'create',
        '--name',
        'hello',
        '--replicas',
        String(REPLICAS),
        '--init',
        'busybox:local',
        'sh',
        '-c',
        BUSYBOX_SERVER,
      );
    } else {
      shoal(
        'service',
        'create',
        '--name',
        'hello',
        '--replicas',
        String(REPLICAS),
        '--env',
        `BASE_PORT=${BASE_PORT}`,
        'node-sample',
        process.execPath,
        '-e',
        NODE_SERVER,
      );
    }

    const createdAt = Date.now();
    let shown = '';
    for (;;) {
      const ps = run(['service', 'ps', 'hello']);
      if (ps !== shown) {
        say(`$ shoal service ps hello   (+${Date.now() - createdAt} ms)`);
        process.stdout.write(ps.trimEnd().replace(/^/gm, '  ') + '\n');
        shown = ps;
      }
      const tasks = await api<TaskView[]>('GET', '/tasks');
      const running = tasks.filter(
        (t) => t.DesiredState === 'running' && t.Status.State === 'running',
      );
      if (running.length === REPLICAS) break;
      if (Date.now() - createdAt > CONVERGE_TIMEOUT_MS) {
        throw new Error(`the replicas were not all running after ${CONVERGE_TIMEOUT_MS} ms`);
      }
      await sleep(250);
    }
    const convergeMs = Date.now() - createdAt;
    say(`all ${REPLICAS} replicas running, ${convergeMs} ms after create`);

    // The leader's per-service series, as Prometheus would scrape them.
    const series = (await get(metricsUrl))
      .split('\n')
      .filter((l) => /^shoal_service_replicas_(desired|running)\{.*service_name="hello"/.test(l));
    say(`$ curl ${metricsUrl} | grep 'service_name="hello"'`);
    for (const l of series) say(`  ${l}`);

    const urls = await endpoints(executor, await api<TaskView[]>('GET', '/tasks'));
    const answers = async () => Promise.all(urls.map((u) => get(u)));
    for (const [i, a] of (await answers()).entries()) say(`  GET ${urls[i]} -> ${a}`);

    say('killing shoald with SIGKILL: the replicas keep running without it');
    const killedAt = Date.now();
    await daemon.kill9();
    const whileDown = await answers();
    say(
      `  with shoald down: ${whileDown.filter((a) => a.startsWith('hello')).length}/${urls.length} replicas answered`,
    );
    await daemon.start();
    const restartMs = Date.now() - killedAt;
    shoal('service', 'ps', 'hello');
    const after = await api<TaskView[]>('GET', '/tasks');
    const sameTasks =
      after.filter((t) => t.Status.State === 'running').length === REPLICAS &&
      after.length === REPLICAS;
    say(
      sameTasks
        ? `shoald back after ${restartMs} ms; it re-adopted the same ${REPLICAS} tasks (none restarted)`
        : 'THE TASKS CHANGED ACROSS THE RESTART',
    );

    say('');
    say('reach the service:');
    for (const u of urls) say(`  curl ${u}`);
    say('drive the cluster:');
    say(`  node ${path.relative(process.cwd(), SHOAL_MAIN)} -H unix://${socket} service ps hello`);
    say(`  DOCKER_HOST=unix://${socket} docker service ls`);
    say(`  curl ${metricsUrl}   # Prometheus metrics (docs/metrics.md)`);
    if (interactive) {
      say('stop: press Ctrl-C (removes the service, stops shoald and deletes its state)');
    }
    say(
      JSON.stringify({
        executor,
        replicas_running: REPLICAS,
        converge_ms: convergeMs,
        replicas_answering_while_shoald_down: whileDown.filter((a) => a.startsWith('hello')).length,
        restart_ms: restartMs,
        tasks_kept_across_restart: sameTasks,
      }),
    );
    if (!sameTasks) process.exitCode = 1;
    if (interactive) await new Promise(() => undefined); // until Ctrl-C
  } finally {
    await cleanup();
  }
}

/** Where each replica answers: a host port per slot, or the container's bridge address. */
async function endpoints(executor: string, tasks: TaskView[]): Promise<string[]> {
  const running = tasks.filter((t) => t.Status.State === 'running').sort((a, b) => a.Slot - b.Slot);
  if (executor !== 'docker') return running.map((t) => `http://127.0.0.1:${BASE_PORT + t.Slot}/`);
  return running.map((t) => {
    const id = t.Status.ContainerStatus?.ContainerID ?? `hello.${t.Slot}.${t.ID}`;
    const ip = execFileSync(
      'docker',
      ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id],
      { encoding: 'utf8' },
    ).trim();
    return `http://${ip}:8080/`;
  });
}

/** The body of GET `url`; a replica just reported running may take a moment to listen. */
async function get(url: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return (await res.text()).trim();
    } catch (err) {
      last = (err as Error).message;
      await sleep(200);
    }
  }
  return `no answer (${last})`;
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
