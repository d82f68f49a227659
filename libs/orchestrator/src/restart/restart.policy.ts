import { type RestartCondition, type RestartPolicy } from '@shoal/api/swarm';
import { DEFAULT_RESTART_POLICY } from '@shoal/api/validation/service-defaults';

/** Swarm's default RestartPolicy.Delay, in ms. */
export const DEFAULT_RESTART_DELAY_MS = DEFAULT_RESTART_POLICY.Delay / 1e6;

/** A RestartPolicy with Swarm's defaults filled in, durations in milliseconds. */
export interface ResolvedRestartPolicy {
  condition: RestartCondition;
  delayMs: number;
  /** 0: no limit. */
  maxAttempts: number;
  /** 0: no window, so every attempt since the task template last changed counts. */
  windowMs: number;
}

const CONDITIONS: readonly RestartCondition[] = ['none', 'on-failure', 'any'];

/**
 * Fills in Swarm's defaults (any, 5 s, unlimited, no window). The API validates policies, but
 * a stored spec outlives validators, so a value that makes no sense falls back to its default
 * rather than stopping every restart.
 */
export function resolveRestartPolicy(
  policy: RestartPolicy | undefined,
  defaultDelayMs: number = DEFAULT_RESTART_DELAY_MS,
): ResolvedRestartPolicy {
  const condition = CONDITIONS.includes(policy?.Condition as RestartCondition)
    ? policy!.Condition!
    : DEFAULT_RESTART_POLICY.Condition;
  return {
    condition,
    delayMs: nsToMs(policy?.Delay) ?? defaultDelayMs,
    maxAttempts: wholeNumber(policy?.MaxAttempts) ?? 0,
    windowMs: nsToMs(policy?.Window) ?? 0,
  };
}

function nsToMs(ns: number | undefined): number | undefined {
  return ns === undefined || !Number.isFinite(ns) || ns < 0 ? undefined : ns / 1e6;
}

function wholeNumber(n: number | undefined): number | undefined {
  return n === undefined || !Number.isFinite(n) || n < 0 ? undefined : Math.floor(n);
}
