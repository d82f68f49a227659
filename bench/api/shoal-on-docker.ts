import { ShoaldProcess } from '../../test/support/shoald/shoald-process';
import { poll } from '../timing';
import { EngineClient } from './engine.client';

export interface ShoalOnDocker {
  daemon: ShoaldProcess;
  client: EngineClient;
  /** The one node's ID, as `swarm init` returned it. */
  nodeId: string;
}

/**
 * A one-node Shoal swarm that runs its tasks on the local Docker Engine: shoald with
 * `--executor docker` in a temporary directory (from `main`, e.g. a pinned copy of dist/),
 * `swarm init`, and a wait until the node is ready with that executor. `started` is called
 * with the daemon as soon as it exists, so a caller's cleanup can stop it even if the rest
 * fails.
 */
export async function startShoalOnDocker(opts: {
  prefix: string;
  main?: string;
  signal: AbortSignal;
  started?: (daemon: ShoaldProcess, client: EngineClient) => void;
}): Promise<ShoalOnDocker> {
  const daemon = await ShoaldProcess.inTempDir(opts.prefix, opts.main);
  daemon.o.extraArgs = ['--executor', 'docker'];
  await daemon.start();
  const client = new EngineClient(daemon.socket);
  opts.started?.(daemon, client);
  await client.negotiate();
  const nodeId = (await client.json('POST', '/swarm/init', {}, [200])) as string;
  await poll(
    'shoal: the node ready with the docker executor',
    async () => {
      const node = (await client.json('GET', `/nodes/${nodeId}`, undefined, [200])) as {
        Status?: { State?: string };
        Description?: { Engine?: { Labels?: Record<string, string> } };
      };
      const executor = node.Description?.Engine?.Labels?.['shoal.executor'];
      return node.Status?.State === 'ready' && executor === 'docker' ? true : undefined;
    },
    { intervalMs: 100, timeoutMs: 20_000, signal: opts.signal },
  );
  return { daemon, client, nodeId };
}
