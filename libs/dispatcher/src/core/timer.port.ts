/**
 * Timers as a port, like the Clock: the dispatcher core asks for a callback after a delay and
 * gets back the function that cancels it. The gRPC module passes real timers; tests pass a
 * manual queue driven with the ManualClock.
 */
export interface TimerPort {
  setTimeout(fn: () => void, ms: number): () => void;
}
