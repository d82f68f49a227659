import { type TimerPort } from './core/timer.port';

/**
 * The global timers as a TimerPort, unref'd: a heartbeat, a retry or a tick pending never
 * keeps a process alive on its own (shoald is kept alive by its listeners). Outside the
 * deterministic cores, which take the port so tests and the simulator can drive them.
 */
export const systemTimers: TimerPort = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
