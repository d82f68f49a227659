import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Kills the process groups of the tasks a shoald's process executor started under
 * `stateDir`. They are detached on purpose (they outlive the agent), so a test that is done
 * with a daemon must end them itself or they outlive the test run.
 */
export async function killTaskProcesses(stateDir: string): Promise<number> {
  const tasksDir = path.join(stateDir, 'agent', 'tasks');
  let ids: string[];
  try {
    ids = await readdir(tasksDir);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const id of ids) {
    try {
      const { pid } = JSON.parse(await readFile(path.join(tasksDir, id, 'pid'), 'utf8')) as {
        pid: number;
      };
      process.kill(-pid, 'SIGKILL');
      killed++;
    } catch {
      // No pid file, or the group is gone already.
    }
  }
  return killed;
}
