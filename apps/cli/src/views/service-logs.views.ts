/**
 * `service logs` output, as the docker CLI prints it (cli/command/service/logs.go): each line
 * of the daemon's stream becomes
 *
 *     [<timestamp> ]<service>.<slot>[.<task id>]@<node><padding>    | [<details> ]<line>
 *
 * The task context comes from the swarm details the daemon adds to every line (the CLI asks
 * for details unless `--raw`); the names come from the daemon's objects.
 */
import {
  LogLineParseError,
  SWARM_NODE_ID,
  SWARM_SERVICE_ID,
  SWARM_TASK_ID,
  parseLogLine,
} from '../../../shoald/src/api/logs/log-line.formatter';
import { CommandFailedError } from '../errors/cli.errors';
import { shortId } from '../output/human.format';

/** The task a line came from, as the swarm details name it. */
export interface SwarmLogContext {
  nodeId: string;
  serviceId: string;
  taskId: string;
}

export interface SwarmLogLine {
  context: SwarmLogContext;
  /** As the daemon sent it, when asked for timestamps. */
  timestamp?: string;
  /** Details other than the swarm context. */
  details: Record<string, string>;
  data: Buffer;
}

/**
 * Splits a payload sent with details (and, if `timestamps`, a timestamp). A line without the
 * swarm context fails the command, as docker's does: it cannot be attributed to a task.
 */
export function parseSwarmLogLine(payload: Buffer, timestamps: boolean): SwarmLogLine {
  let parsed;
  try {
    parsed = parseLogLine(payload, { timestamps, details: true });
  } catch (err) {
    if (err instanceof LogLineParseError) {
      throw new CommandFailedError(`invalid context in log message: ${err.message}`);
    }
    throw err;
  }
  const details = { ...parsed.details };
  const take = (key: string, what: string): string => {
    const value = details[key];
    if (value === undefined) {
      throw new CommandFailedError(
        `missing ${what} in the details of a log message (${key}): ${payload.toString('utf8').trimEnd()}`,
      );
    }
    delete details[key];
    return value;
  };
  const context = {
    nodeId: take(SWARM_NODE_ID, 'node id'),
    serviceId: take(SWARM_SERVICE_ID, 'service id'),
    taskId: take(SWARM_TASK_ID, 'task id'),
  };
  return {
    context,
    ...(parsed.timestamp !== undefined ? { timestamp: parsed.timestamp } : {}),
    details,
    data: parsed.data,
  };
}

export interface TaskLabelOptions {
  noTaskIds: boolean;
  noTrunc: boolean;
}

/** Digits of the largest slot, which docker pads every task's label to. */
export function slotWidth(slot: number): number {
  return String(slot).length;
}

/**
 * `web.2.k3x9q1m0b4ad@node-1`, padded so the `|` columns line up across the slots of a
 * service (`padding` is the width of its largest slot).
 */
export function taskLabel(
  task: { serviceName: string; slot: number; taskId: string; nodeName: string },
  opts: TaskLabelOptions,
  padding: number,
): string {
  let name = `${task.serviceName}.${task.slot}`;
  if (!opts.noTaskIds) name += `.${shortId(task.taskId, opts.noTrunc)}`;
  return `${name}@${task.nodeName}${' '.repeat(Math.max(0, padding - slotWidth(task.slot)))}`;
}

/** One output line: the label, then the details when asked for, then the line as sent. */
export function renderLogLine(line: SwarmLogLine, label: string, showDetails: boolean): Buffer {
  let prefix = line.timestamp !== undefined ? `${line.timestamp} ` : '';
  prefix += `${label}    | `;
  if (showDetails) {
    const pairs = Object.keys(line.details)
      .sort()
      .map((k) => `${k}=${line.details[k]}`);
    prefix += `${pairs.join(',')} `;
  }
  return Buffer.concat([Buffer.from(prefix, 'utf8'), line.data]);
}
