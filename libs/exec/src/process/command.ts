import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';

/** The PATH a task gets unless its Env sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Program and arguments: Command[0] is the program; with no Command, Args[0] is. */
export function commandLine(spec: ContainerSpec): { program: string; args: string[] } {
  const command = spec.Command ?? [];
  const args = spec.Args ?? [];
  const argv = command.length > 0 ? [...command, ...args] : args;
  const [program, ...rest] = argv;
  if (program === undefined || program === '') {
    throw new Error('process executor: the task has neither Command nor Args to run');
  }
  return { program, args: rest };
}

/**
 * The task's environment: a minimal PATH, then the spec's `KEY=VALUE` entries. A bare `KEY`
 * takes its value from the agent's environment, as Docker takes it from the engine's.
 */
export function taskEnv(spec: ContainerSpec, task?: Task): Record<string, string> {
  // A host process has no hostname or network of its own to tell replicas apart, so it is told
  // who it is (as Nomad's NOMAD_ALLOC_INDEX does): a replica can, say, listen on base + slot.
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...(task ? identityEnv(task) : {}) };
  for (const entry of spec.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) {
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    } else if (eq < 0 && entry !== '') {
      const inherited = process.env[entry];
      if (inherited !== undefined) env[entry] = inherited;
    }
  }
  return env;
}

/** SHOAL_TASK_ID, SHOAL_TASK_SLOT, SHOAL_TASK_NAME, SHOAL_SERVICE_ID, SHOAL_SERVICE_NAME, SHOAL_NODE_ID. */
export function identityEnv(task: Task): Record<string, string> {
  const service = (task as { ServiceAnnotations?: { Name?: string } }).ServiceAnnotations?.Name;
  const pairs: [string, string | number | undefined][] = [
    ['SHOAL_TASK_ID', task.ID],
    ['SHOAL_TASK_SLOT', task.Slot],
    ['SHOAL_TASK_NAME', task.Name],
    ['SHOAL_SERVICE_ID', task.ServiceID],
    ['SHOAL_SERVICE_NAME', service],
    ['SHOAL_NODE_ID', task.NodeID],
  ];
  return Object.fromEntries(
    pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)]),
  );
}

/**
 * The absolute path of an executable `program`: taken as is when it holds a slash (relative
 * to `cwd`), otherwise looked up on `pathVar`. Undefined when no executable file is found.
 */
export async function resolveProgram(
  program: string,
  pathVar: string,
  cwd: string,
): Promise<string | undefined> {
  const candidates = program.includes('/')
    ? [path.resolve(cwd, program)]
    : pathVar
        .split(':')
        .filter((dir) => dir !== '')
        .map((dir) => path.resolve(cwd, dir, program));
  for (const candidate of candidates) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The spec's StopSignal as a Node signal name: accepts `SIGTERM`, `TERM`, `term` or a number
 * (`15`). Empty or absent means SIGTERM; an unknown name throws.
 */
export function stopSignal(spec: ContainerSpec): NodeJS.Signals {
  const raw = (spec.StopSignal ?? '').trim();
  if (raw === '') return 'SIGTERM';
  const signals = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    const name = Object.keys(signals).find((k) => signals[k] === n);
    if (name !== undefined) return name as NodeJS.Signals;
  } else {
    const upper = raw.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (signals[name] !== undefined) return name as NodeJS.Signals;
  }
  throw new Error(`process executor: unknown StopSignal "${raw}"`);
}

/** Exit status for a process that ended on a signal: 128 + its number, as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = (osConstants.signals as Record<string, number>)[signal];
  return n === undefined ? 128 : 128 + n;
}
