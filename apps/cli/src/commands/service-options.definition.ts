/**
 * The flags `service create` and `service update` share, declared once so both commands parse
 * them identically. Each value is parsed as the flag is read (durations to nanoseconds, sizes
 * to bytes, CPUs to NanoCPUs), so a bad value fails with commander's message naming the flag.
 */
import { type Command, Option } from 'commander';
import { parseDuration } from '../parse/duration.parser';
import { parseMountSpec } from '../parse/mount-spec.parser';
import { parsePortSpec } from '../parse/port-spec.parser';
import { parseBytes, parseNanoCpus } from '../parse/units.parser';
import { parsePlacementPref } from '../spec/service-spec.builder';
import {
  RESTART_CONDITIONS,
  ROLLBACK_FAILURE_ACTIONS,
  UPDATE_FAILURE_ACTIONS,
  UPDATE_ORDERS,
} from '../spec/service-flags.types';
import {
  flagParser,
  identity,
  nonNegative,
  parseNonNegativeInt,
  parseRatio,
  repeatable,
  repeatableFlat,
} from './command.support';

export const durationFlag = flagParser(nonNegative(parseDuration));
const intFlag = flagParser(parseNonNegativeInt);
const ratioFlag = flagParser(parseRatio);
const bytesFlag = flagParser(parseBytes);
const cpusFlag = flagParser(parseNanoCpus);

export const publishFlag = repeatableFlat(parsePortSpec);
export const mountFlag = repeatable(parseMountSpec);
export const placementPrefFlag = repeatable((value: string) => {
  parsePlacementPref(value); // validate now, so the error names the flag
  return value;
});
export const stringsFlag = repeatable(identity);

const DURATION_HINT = '(Go duration, e.g. 10s, 1m30s)';

function addUpdatePolicyOptions(command: Command, kind: 'update' | 'rollback'): void {
  const actions = kind === 'update' ? UPDATE_FAILURE_ACTIONS : ROLLBACK_FAILURE_ACTIONS;
  const noun = kind === 'update' ? 'updated' : 'rolled back';
  command
    .option(
      `--${kind}-parallelism <n>`,
      `maximum number of tasks ${noun} at once (0 for all)`,
      intFlag,
    )
    .option(`--${kind}-delay <duration>`, `delay between ${kind}s ${DURATION_HINT}`, durationFlag)
    .addOption(
      new Option(`--${kind}-failure-action <action>`, `action on ${kind} failure`).choices(actions),
    )
    .option(
      `--${kind}-monitor <duration>`,
      `how long to watch each task for failure after its ${kind} ${DURATION_HINT}`,
      durationFlag,
    )
    .option(
      `--${kind}-max-failure-ratio <ratio>`,
      `fraction of tasks that may fail during ${kind === 'update' ? 'an update' : 'a rollback'} (0 to 1)`,
      ratioFlag,
    )
    .addOption(new Option(`--${kind}-order <order>`, `${kind} order`).choices(UPDATE_ORDERS));
}

/** Adds the flags common to create and update, in the order `--help` lists them. */
export function addCommonServiceOptions(command: Command): Command {
  command
    .option('--replicas <n>', 'number of tasks (for replicated-job: total completions)', intFlag)
    .option('--max-concurrent <n>', 'number of job tasks to run at once (replicated-job)', intFlag)
    .option('--reserve-cpu <cpus>', 'reserve CPUs (e.g. 0.5)', cpusFlag)
    .option('--reserve-memory <bytes>', 'reserve memory (e.g. 512m, 1g)', bytesFlag)
    .option('--limit-cpu <cpus>', 'limit CPUs (e.g. 1.5)', cpusFlag)
    .option('--limit-memory <bytes>', 'limit memory (e.g. 512m, 1g)', bytesFlag)
    .addOption(
      new Option('--restart-condition <condition>', 'restart when the condition is met').choices(
        RESTART_CONDITIONS,
      ),
    )
    .option(
      '--restart-delay <duration>',
      `delay between restart attempts ${DURATION_HINT}`,
      durationFlag,
    )
    .option('--restart-max-attempts <n>', 'maximum number of restarts before giving up', intFlag)
    .option(
      '--restart-window <duration>',
      `window used to evaluate the restart policy ${DURATION_HINT}`,
      durationFlag,
    );
  addUpdatePolicyOptions(command, 'update');
  addUpdatePolicyOptions(command, 'rollback');
  command
    .option('--health-cmd <command>', 'command to run to check health (run by the shell)')
    .option(
      '--health-interval <duration>',
      `time between health checks ${DURATION_HINT}`,
      durationFlag,
    )
    .option(
      '--health-timeout <duration>',
      `maximum time a check may take ${DURATION_HINT}`,
      durationFlag,
    )
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy', intFlag)
    .option(
      '--health-start-period <duration>',
      `start period during which failures do not count ${DURATION_HINT}`,
      durationFlag,
    )
    .option('--no-healthcheck', 'disable any container-specified HEALTHCHECK')
    .option(
      '--stop-grace-period <duration>',
      `time to wait before force-killing a container ${DURATION_HINT}`,
      durationFlag,
    )
    .option('--init', 'run an init inside each container that forwards signals and reaps processes')
    .option('--read-only', "mount the container's root filesystem as read only")
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('--hostname <name>', 'container hostname')
    .option('-d, --detach', 'exit immediately instead of waiting for the service to converge');
  return command;
}
