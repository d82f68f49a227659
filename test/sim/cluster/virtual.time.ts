import { type Clock } from '@shoal/common';
import { type TimerPort } from '@shoal/dispatcher';
import { type EventQueue } from '../event.queue';

/** Virtual time 0 is this wall-clock instant, so timestamps in the store look plausible. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The Clock port on the simulator's virtual clock. */
export function virtualClock(queue: EventQueue): Clock {
  return { now: () => VIRTUAL_EPOCH_MS + queue.now };
}

/**
 * The TimerPort on the simulator's event queue. `alive` is checked when a timer falls due: a
 * crashed manager's or a dead agent's timers must not fire into the next incarnation.
 */
export function virtualTimers(
  queue: EventQueue,
  label: string,
  alive: () => boolean = () => true,
): TimerPort {
  return {
    setTimeout: (fn, ms) => {
      let cancelled = false;
      queue.schedule(Math.max(0, Math.ceil(ms)), label, () => {
        if (!cancelled && alive()) fn();
      });
      return () => {
        cancelled = true;
      };
    },
  };
}

/**
 * Lets every promise chain that is ready run to its end. Nothing in the simulation waits on
 * real I/O or real timers (all time is the event queue's), so once the microtask queue is
 * empty the simulation's state is a function of the events run so far. One macrotask turn
 * (setImmediate) runs only after the whole microtask queue, including chains it extends.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => realSetImmediate(resolve));
}

const realSetImmediate = globalThis.setImmediate;

/** Frames of the project's own code (not this file, not node_modules). */
const PROJECT_FRAME = /[\\/](?:libs|apps|test[\\/]sim)[\\/]/;

/**
 * While installed, the real time sources (setTimeout, setInterval, setImmediate, Date.now,
 * Math.random) still work, but a call from the project's own code is recorded: anything in
 * the simulation that reached for them would make a seed replay differently. Calls from the
 * test runner itself are not counted.
 */
export function guardRealTime(): { offenders: string[]; restore: () => void } {
  const offenders: string[] = [];
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = {
    setTimeout: g.setTimeout,
    setInterval: g.setInterval,
    setImmediate: g.setImmediate,
    dateNow: Date.now,
    random: Math.random,
  };
  const check = (what: string) => {
    const frames = (new Error().stack ?? '').split('\n').slice(3);
    const culprit = frames.find((f) => PROJECT_FRAME.test(f) && !f.includes('node_modules'));
    const line = culprit && `${what} ${culprit.trim()}`;
    if (line && !offenders.includes(line) && offenders.length < 20) offenders.push(line);
  };
  const wrap =
    <F extends (...args: never[]) => unknown>(what: string, fn: F) =>
    (...args: Parameters<F>): ReturnType<F> => {
      check(what);
      return fn(...args) as ReturnType<F>;
    };
  g.setTimeout = wrap('setTimeout', saved.setTimeout as typeof setTimeout);
  g.setInterval = wrap('setInterval', saved.setInterval as typeof setInterval);
  g.setImmediate = wrap('setImmediate', saved.setImmediate as typeof setImmediate);
  Date.now = wrap('Date.now', saved.dateNow);
  Math.random = wrap('Math.random', saved.random);
  return {
    offenders,
    restore: () => {
      g.setTimeout = saved.setTimeout;
      g.setInterval = saved.setInterval;
      g.setImmediate = saved.setImmediate;
      Date.now = saved.dateNow;
      Math.random = saved.random;
    },
  };
}
