import { type Readable } from 'node:stream';
import { type Logger } from '@shoal/common';
import type Docker from 'dockerode';
import { engineDetail, engineError, statusOf } from './engine-error';

/** Reads a newline-delimited JSON stream (pull progress, events) object by object. */
export async function* jsonLines(
  stream: NodeJS.ReadableStream,
): AsyncGenerator<Record<string, unknown>> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === '') continue;
      try {
        yield JSON.parse(line) as Record<string, unknown>;
      } catch {
        // Not one of the engine's messages; nothing in it for us.
      }
    }
  }
}

/**
 * What the engine said first about a container being watched: its health status turned
 * healthy or unhealthy, it stopped running (`die`), or it was removed (`destroy`).
 * `aborted`: the watch was cancelled, or (when watching a running task) could not go on.
 */
export type HealthVerdict = 'healthy' | 'unhealthy' | 'exited' | 'removed' | 'aborted';

export interface HealthWatchOptions {
  docker: Docker;
  /** The container's ID (or name). */
  container: string;
  /** For error messages. */
  name: string;
  /**
   * `start`: until the first of healthy, unhealthy, exited or removed (swarmkit's Start);
   * a failure to watch at all is an engine error. `running`: until unhealthy only (the exit is
   * wait()'s business); a failure to watch is logged and ends the watch as `aborted`.
   */
  mode: 'start' | 'running';
  signal: AbortSignal;
  logger: Logger;
}

/** Re-subscriptions after the event stream ended without a verdict, before giving up. */
const MAX_ROUNDS = 10;

/** The verdict `state` (from inspect) already gives, if any. */
function fromState(state: Docker.ContainerInspectInfo['State']): HealthVerdict | undefined {
  if (!state.Running) return 'exited';
  const health = state.Health?.Status;
  return health === 'healthy' || health === 'unhealthy' ? health : undefined;
}

/** The verdict one engine event gives, if any. */
function fromEvent(ev: Record<string, unknown>): HealthVerdict | undefined {
  const action = String(ev.Action ?? ev.status ?? '');
  if (action === 'die') return 'exited';
  if (action === 'destroy') return 'removed';
  if (!action.startsWith('health_status')) return undefined;
  const status = action.slice(action.indexOf(':') + 1).trim();
  return status === 'healthy' || status === 'unhealthy' ? status : undefined;
}

/**
 * Follows a container's health through the engine's event stream (as swarmkit's container
 * controller does), after an inspect once subscribed so that a change in between shows up in
 * one or the other. Events cost nothing while nothing happens, where polling inspect would
 * cost a request per container per period. When the stream ends without a verdict it
 * subscribes again, as swarmkit restarts its event stream.
 */
export async function watchHealth(o: HealthWatchOptions): Promise<HealthVerdict> {
  const wanted = (v: HealthVerdict | undefined): v is HealthVerdict =>
    v !== undefined && (o.mode === 'start' || v === 'unhealthy');
  for (let round = 0; round < MAX_ROUNDS && !o.signal.aborted; round++) {
    let events: NodeJS.ReadableStream;
    try {
      events = await o.docker.getEvents({
        filters: {
          type: ['container'],
          container: [o.container],
          event: o.mode === 'start' ? ['health_status', 'die', 'destroy'] : ['health_status'],
        },
        abortSignal: o.signal,
      });
    } catch (e) {
      if (o.signal.aborted) return 'aborted';
      if (o.mode === 'start') throw engineError('watch health of', o.name, e);
      o.logger.warn('cannot watch health', { error: engineDetail(e) });
      return 'aborted';
    }
    const stop = () => (events as Readable).destroy();
    o.signal.addEventListener('abort', stop, { once: true });
    try {
      const seen = fromState((await o.docker.getContainer(o.container).inspect()).State);
      if (wanted(seen)) return seen;
      for await (const ev of jsonLines(events)) {
        const verdict = fromEvent(ev);
        if (wanted(verdict)) return verdict;
      }
    } catch (e) {
      if (o.signal.aborted) return 'aborted';
      if (statusOf(e) === 404 && o.mode === 'start') return 'removed';
      if (o.mode === 'start' && statusOf(e) !== undefined) {
        throw engineError('watch health of', o.name, e);
      }
      o.logger.warn('health watch interrupted', { error: engineDetail(e) });
    } finally {
      o.signal.removeEventListener('abort', stop);
      stop();
    }
  }
  if (o.signal.aborted) return 'aborted';
  if (o.mode === 'start') {
    throw engineError('watch health of', o.name, new Error('the event stream keeps ending'));
  }
  o.logger.warn('health watch ended: the event stream keeps ending');
  return 'aborted';
}
