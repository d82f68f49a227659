/**
 * `npm run demo`: the main job as far as it is built. Starts shoald from the build (its own
 * state dir, socket and cluster port under a temp dir), turns it into a one-manager swarm with
 * the `shoal` CLI, declares a sample replicated service, scales it, kills the daemon with
 * SIGKILL, restarts it and shows the swarm and the service come back unchanged (rebuilt from
 * the Raft WAL and snapshot). Tasks start running once agents land (issue #5); until then the
 * service shows 0 of its replicas running. Ends with one JSON line of what it saw.
 */
import { execFileSync } from 'node:child_process';
import { SHOAL_MAIN, ShoaldProcess } from '../test/support/shoald/shoald-process';

const say = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const daemon = await ShoaldProcess.inTempDir('shoal-demo-');
  const socket = daemon.socket;
  const port = daemon.o.listenAddr.split(':')[1]!;
  const run = (args: string[]): string =>
    execFileSync(process.execPath, [SHOAL_MAIN, '-H', `unix://${socket}`, ...args], {
      encoding: 'utf8',
    });
  const shoal = (...args: string[]): string => {
    say(`$ shoal ${args.join(' ')}`);
    const out = run(args);
    process.stdout.write(out.trimEnd().replace(/^/gm, '  ') + '\n');
    return out;
  };
  try {
    say(`starting shoald (state in ${daemon.dir})`);
    await daemon.start();
    shoal('swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`);
    const id = shoal(
      'service',
      'create',
      '--name',
      'web',
      '--replicas',
      '3',
      'busybox',
      'sleep',
      '1d',
    ).trim();
    shoal('service', 'scale', 'web=5');
    shoal('service', 'ls');
    shoal('service', 'inspect', '--pretty', 'web');
    const before = run(['service', 'inspect', 'web']);

    say('killing shoald with SIGKILL and starting it again');
    const killedAt = Date.now();
    await daemon.kill9();
    await daemon.start();
    const restartMs = Date.now() - killedAt;
    shoal('node', 'ls');
    shoal('service', 'ls');
    const after = run(['service', 'inspect', 'web']);
    const same = before === after;
    say(
      same
        ? `service ${id} came back identical, ${restartMs} ms after the kill`
        : 'STATE CHANGED ACROSS THE RESTART',
    );
    shoal('service', 'rm', 'web');
    say(JSON.stringify({ restart_ms: restartMs, state_intact: same, service_id: id }));
    if (!same) process.exitCode = 1;
  } finally {
    await daemon.dispose();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
