/**
 * Hands the event loop back for one turn. The leader's loops build their transactions on the
 * same thread that sends Raft heartbeats and writes the log: building a hundred services in
 * one synchronous stretch (seconds of CPU) starves those, followers stop hearing from the
 * leader and elect another, and the work starts again under the new one. Awaiting a
 * microtask would not help (microtasks run before any I/O), so the default is a macrotask.
 * Tests inject their own to count the yields and stay off the real event loop.
 */
export type YieldToEventLoop = () => Promise<void>;

/**
 * One macrotask (setImmediate): pending I/O callbacks, among them Raft's transport and
 * timers, run before it resolves. It reads no clock and schedules nothing in the future,
 * which is what the pure cores' no-timers rule protects against.
 */
export const yieldToEventLoop: YieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    // eslint-disable-next-line no-restricted-globals -- a turn of the event loop, not a timer; injectable (see YieldToEventLoop)
    setImmediate(resolve);
  });
