import { type Logger } from '@shoal/common';
import { ProcessExecutor, type Executor } from '@shoal/exec';
import { type ExecutorChoice } from '../config/daemon.config';

/**
 * The node's executor (`--executor`): `process` runs tasks as host processes; `auto` is the
 * process executor until the docker executor lands in this build.
 */
export async function chooseExecutor(
  choice: ExecutorChoice,
  stateDir: string,
  logger: Logger,
): Promise<Executor> {
  if (choice === 'docker') {
    throw new Error('the docker executor is not available in this build');
  }
  logger.info('executor chosen', { executor: 'process', asked: choice });
  return new ProcessExecutor({ stateDir, logger });
}
