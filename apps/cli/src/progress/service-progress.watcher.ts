/**
 * Waits for a service to converge after `service create/update/rollback/scale`, drawing its
 * progress, the way the docker CLI's WaitOnService does. Every 200 ms it reads the service
 * (GET /services/{id}), its up-to-date tasks (GET /tasks with the `service` and `_up-to-date`
 * filters, as docker sends them) and the nodes that are not down (GET /nodes).
 *
 * It ends:
 * - converged: every slot (or node) runs a task of the current spec, and the rolling updater
 *   reports completed/rollback_completed (it has watched the new tasks for Monitor itself), or,
 *   when no update is under way (a create, a scale), the tasks have stayed running for Monitor
 *   (5 s by default), as docker's "verify: Waiting 5 seconds to verify that tasks are
 *   stable..." does. Docker also stops on that timer during an update, before the updater is
 *   done; shoal waits for the updater, so an exit 0 means the update completed. A job ends when
 *   all its tasks are complete;
 * - with an error (exit 1) when the update pauses ("service update paused: <message>"), the
 *   rollback pauses, or an update the command asked for was rolled back automatically. Docker
 *   exits 0 in that last case; shoal reports the update as failed, once the rollback converged;
 * - on Ctrl-C: it stops watching and leaves the service alone (the rollout carries on).
 */
import type { Node, Service, Task } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { CommandFailedError } from '../errors/cli.errors';
import { frameItems } from './progress.renderer';
import { screenFor } from './progress.screen';
import { type ProgressItem, type ProgressView, ProgressTracker } from './task-progress.model';

export const POLL_INTERVAL_MS = 200;
/** Swarm's default UpdateConfig.Monitor, which docker also waits when the spec has none. */
const DEFAULT_MONITOR_MS = 5_000;
/** The message shoald (like swarmkit) sets on a rollback the user asked for. */
const MANUAL_ROLLBACK_MESSAGE = 'manually requested rollback';
/** Shoal's canary pause ("canary: 2 of 6 tasks updated; waiting for promotion"). */
const CANARY_PREFIX = 'canary: ';

export interface WaitOptions {
  /** How the user named the service: "verify: Service <ref> converged". */
  ref: string;
  /** `--quiet`: wait, but draw nothing. */
  quiet?: boolean;
  /** The command asked for the rollback (`service rollback`, `update --rollback`). */
  rollbackRequested?: boolean;
}

const servicePath = (id: string): string => `/services/${encodeURIComponent(id)}`;

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The rollout's state between polls, apart from the per-slot lines the tracker keeps. */
class Rollout {
  rollback = false;
  /** The notes under the slots: "rollback: ..." (or "canary: ..."), "verify: ...". */
  rollbackNote?: ProgressItem;
  verifyNote?: ProgressItem;
  /** The message of an automatic rollback, when the command did not ask for one. */
  autoRollback?: string;
  /** The updater says it is done (completed or rollback_completed). */
  updaterDone = false;
  finalNote?: ProgressItem;
  convergedAt?: number;
  view?: ProgressView;

  notes(): ProgressItem[] {
    return [this.rollbackNote, this.verifyNote].filter((n): n is ProgressItem => !!n);
  }
}

/**
 * Watches `serviceId` until it converges; see the file comment for how it ends. Throws
 * CommandFailedError for a paused or automatically rolled back update, and the client's
 * errors as they come.
 */
export async function waitOnService(
  ctx: CliContext,
  client: DaemonClient,
  serviceId: string,
  options: WaitOptions,
): Promise<void> {
  const clock = ctx.clock ?? (() => performance.now());
  const sleep = ctx.sleep ?? defaultSleep;
  const interrupted = new AbortController();
  const unwatch = ctx.onInterrupt?.(() => interrupted.abort()) ?? (() => undefined);
  const screen = screenFor(ctx.stdout, options.quiet ?? false);
  const tracker = new ProgressTracker();
  const r = new Rollout();
  const draw = (extra: ProgressItem[] = []) =>
    screen.draw(frameItems(r.view, [...r.notes(), ...extra]));
  try {
    for (;;) {
      const service = await client.get<Service>(servicePath(serviceId));
      const failure = readUpdateStatus(service, r, options);
      // Docker always takes UpdateConfig's; a rollback is watched for RollbackConfig's.
      const policy = r.rollback ? service.Spec?.RollbackConfig : service.Spec?.UpdateConfig;
      const monitorMs = nanosToMs(policy?.Monitor) || DEFAULT_MONITOR_MS;
      if (failure !== undefined) {
        draw();
        throw new CommandFailedError(failure);
      }
      const [tasks, nodes] = await Promise.all([
        client.get<Task[]>('/tasks', {
          filters: JSON.stringify({ service: [service.ID], '_up-to-date': ['true'] }),
        }),
        client.get<Node[]>('/nodes'),
      ]);
      const activeNodes = new Set(nodes.filter((n) => n.Status?.State !== 'down').map((n) => n.ID));
      r.view = tracker.update({ service, tasks, activeNodes, rollback: r.rollback });
      const now = clock();
      if (r.view.converged) {
        if (r.view.kind === 'replicated-job' || r.view.kind === 'global-job') {
          // A job stays done once done: nothing to verify.
          draw([{ label: 'job', text: 'complete' }]);
          return;
        }
        r.convergedAt ??= now;
        const waitMs = monitorMs - (now - r.convergedAt);
        // While the updater is still at work, its word ends the wait, not the timer.
        if (r.updaterDone || (!updaterBusy(service) && waitMs <= 0)) {
          r.verifyNote = { label: 'verify', text: `Service ${options.ref} converged` };
          draw(r.finalNote ? [r.finalNote] : []);
          if (r.autoRollback !== undefined) {
            throw new CommandFailedError(`service update failed: ${r.autoRollback}`);
          }
          return;
        }
        r.verifyNote = {
          label: 'verify',
          text:
            waitMs > 0
              ? `Waiting ${Math.ceil(waitMs / 1000)} seconds to verify that tasks are stable...`
              : `Waiting for the ${r.rollback ? 'rollback' : 'update'} to complete...`,
        };
      } else {
        if (r.convergedAt !== undefined) {
          r.verifyNote = { label: 'verify', text: 'Detected task failure' };
        }
        r.convergedAt = undefined;
      }
      draw();
      if (!interrupted.signal.aborted) await sleep(POLL_INTERVAL_MS, interrupted.signal);
      if (interrupted.signal.aborted) {
        // Ctrl-C: stop watching; the rollout goes on in the cluster.
        if (!options.quiet) {
          ctx.stdout.write(
            'Operation continuing in background.\n' +
              `Use \`shoal service ps ${options.ref}\` to check progress.\n`,
          );
        }
        return;
      }
    }
  } finally {
    unwatch();
  }
}

/**
 * Takes in the service's UpdateStatus: sets the rollback notes and flags, and returns the
 * error message when the rollout stopped (paused) and waiting is over.
 */
function readUpdateStatus(service: Service, r: Rollout, options: WaitOptions): string | undefined {
  const status = service.UpdateStatus;
  const message = status?.Message ?? '';
  const automatic = () => {
    if (!options.rollbackRequested) {
      r.autoRollback ??=
        message !== '' && message !== MANUAL_ROLLBACK_MESSAGE
          ? message
          : 'the update was rolled back';
    }
  };
  switch (status?.State) {
    case 'updating':
      if (r.rollbackNote?.label === 'canary') r.rollbackNote = undefined;
      r.rollback = false;
      r.updaterDone = false;
      return undefined;
    case 'completed':
      r.updaterDone = true;
      return undefined;
    case 'paused':
      // Shoal's canary step pauses on purpose, until `shoal service promote` or the end of
      // its pause: keep watching, showing why. Any other pause is a failure (FailureAction).
      if (message.startsWith(CANARY_PREFIX)) {
        r.rollbackNote = { label: 'canary', text: message.slice(CANARY_PREFIX.length) };
        return undefined;
      }
      return `service update paused: ${message}`;
    case 'rollback_started':
      if (!r.rollback && message !== '') r.rollbackNote = { label: 'rollback', text: message };
      r.rollback = true;
      r.updaterDone = false;
      automatic();
      return undefined;
    case 'rollback_paused':
      automatic();
      return `service rollback paused: ${message}`;
    case 'rollback_completed':
      // A rollback can finish before the first poll (a loaded machine, one slot to revert):
      // the note still says why the rollback happened, as it would have on rollback_started.
      if (options.rollbackRequested && !r.rollback) {
        r.rollbackNote = { label: 'rollback', text: MANUAL_ROLLBACK_MESSAGE };
      }
      r.finalNote = { label: 'rollback', text: message || 'rollback completed' };
      r.rollback = true;
      r.updaterDone = true;
      automatic();
      return undefined;
    default:
      return undefined;
  }
}

/** An update or rollback under way (or in its canary pause): wait for it to say it is done. */
function updaterBusy(service: Service): boolean {
  const state = service.UpdateStatus?.State;
  return state === 'updating' || state === 'rollback_started' || state === 'paused';
}

function nanosToMs(ns: number | undefined): number {
  return ns !== undefined && ns > 0 ? ns / 1e6 : 0;
}
