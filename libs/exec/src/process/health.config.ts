import { type HealthConfig } from '@shoal/api';

/** Docker's defaults (daemon/health.go), which swarmkit's containers get from the engine. */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
export const DEFAULT_HEALTH_START_INTERVAL_MS = 5_000;
export const DEFAULT_HEALTH_RETRIES = 3;

/** setTimeout fires at once for anything above this, so longer durations are capped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The check's command: `CMD` runs a program with arguments, `CMD-SHELL` a /bin/sh -c line. */
export type HealthCommand =
  { kind: 'exec'; program: string; args: string[] } | { kind: 'shell'; args: string[] };

/** A healthcheck with its defaults applied, durations in milliseconds. */
export interface HealthSettings {
  command: HealthCommand;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures (after the start period) that make the task unhealthy. */
  retries: number;
  /** Failures in this window after the start do not count, until the first success. */
  startPeriodMs: number;
  /** The interval between checks inside the start period, before the first success. */
  startIntervalMs: number;
}

/**
 * The settings for the spec's Healthcheck, or undefined when there is none to run: no
 * Healthcheck, an empty Test (Docker: inherit from the image, and the process executor has no
 * image) or ["NONE"]. A zero or absent duration or retry count takes Docker's default.
 * Throws, naming what is accepted, for a Test of any other shape.
 */
export function healthSettings(hc: HealthConfig | undefined): HealthSettings | undefined {
  const test = hc?.Test;
  if (test === undefined || test.length === 0) return undefined;
  if (!Array.isArray(test) || !test.every((t) => typeof t === 'string')) {
    throw new Error('process executor: Healthcheck.Test must be an array of strings');
  }
  const [kind, ...rest] = test;
  let command: HealthCommand;
  if (kind === 'NONE') {
    return undefined;
  } else if (kind === 'CMD' && rest.length > 0 && rest[0] !== '') {
    command = { kind: 'exec', program: rest[0]!, args: rest.slice(1) };
  } else if (kind === 'CMD-SHELL' && rest.length > 0) {
    command = { kind: 'shell', args: rest };
  } else {
    throw new Error(
      `process executor: invalid Healthcheck.Test ${JSON.stringify(test)}; expected ["NONE"], ` +
        `["CMD", program, args...] or ["CMD-SHELL", command]`,
    );
  }
  return {
    command,
    intervalMs: durationMs(hc?.Interval, DEFAULT_HEALTH_INTERVAL_MS),
    timeoutMs: durationMs(hc?.Timeout, DEFAULT_HEALTH_TIMEOUT_MS),
    retries:
      typeof hc?.Retries === 'number' && Number.isSafeInteger(hc.Retries) && hc.Retries > 0
        ? hc.Retries
        : DEFAULT_HEALTH_RETRIES,
    startPeriodMs: durationMs(hc?.StartPeriod, 0),
    startIntervalMs: durationMs(hc?.StartInterval, DEFAULT_HEALTH_START_INTERVAL_MS),
  };
}

/** Nanoseconds to milliseconds; anything not a positive number means the default. */
function durationMs(ns: unknown, defaultMs: number): number {
  if (typeof ns !== 'number' || !Number.isFinite(ns) || ns <= 0) return defaultMs;
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.round(ns / 1e6)));
}
