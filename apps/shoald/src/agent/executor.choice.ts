import { type Logger } from '@shoal/common';
import { DEFAULT_DOCKER_SOCKET, DockerExecutor, ProcessExecutor, type Executor } from '@shoal/exec';
import { type ExecutorChoice } from '../config/daemon.config';

export interface ExecutorChoiceOptions {
  /** Where the process executor keeps its pid files and logs. */
  stateDir: string;
  /** This node's ID: the docker executor puts it on every container (Swarm's node label). */
  nodeId: string;
  logger: Logger;
  /** The Docker Engine's API socket. */
  dockerSocket?: string;
  /** Whether an engine answers there; a seam for the specs, DockerExecutor.available in use. */
  dockerAvailable?: (socketPath: string) => Promise<boolean>;
}

/** The startup error of `--executor docker` without an engine: what was tried, how to fix it. */
export function dockerUnavailableMessage(socketPath: string): string {
  return (
    `--executor docker: no Docker Engine answers on ${socketPath}. ` +
    'Start dockerd (e.g. `dockerd >/var/log/dockerd.log 2>&1 &` or `systemctl start docker`), ' +
    `make sure shoald may open ${socketPath}, ` +
    'or run shoald with --executor process (or auto, which falls back to it).'
  );
}

/**
 * The node's executor (`--executor`): `docker` runs tasks as containers of the local Docker
 * Engine and refuses to start without one; `process` runs them as host processes; `auto`
 * takes docker when the engine answers a ping, else process. The choice is made once, when
 * the agent starts, so a node never mixes executors between its tasks: an engine that
 * comes up later needs a shoald restart to be used.
 */
export async function chooseExecutor(
  choice: ExecutorChoice,
  opts: ExecutorChoiceOptions,
): Promise<Executor> {
  const socketPath = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const available = opts.dockerAvailable ?? ((p: string) => DockerExecutor.available(p));
  const docker = choice !== 'process' && (await available(socketPath));
  if (choice === 'docker' && !docker) throw new Error(dockerUnavailableMessage(socketPath));
  if (docker) {
    opts.logger.info('executor chosen', { executor: 'docker', asked: choice, socket: socketPath });
    return new DockerExecutor({ socketPath, nodeId: opts.nodeId, logger: opts.logger });
  }
  opts.logger.info('executor chosen', {
    executor: 'process',
    asked: choice,
    ...(choice === 'auto' ? { why: `no Docker Engine answers on ${socketPath}` } : {}),
  });
  return new ProcessExecutor({ stateDir: opts.stateDir, logger: opts.logger });
}
