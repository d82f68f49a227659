import { type Labels } from '@shoal/api/swarm';

/**
 * Opt-in, on the service's Spec.Labels. A label and not a new ServiceSpec field: Docker
 * clients (the CLI, compose's deploy.labels, SDKs) can set it with `--label` /
 * `--label-add`, and they send labels back untouched on every read-modify-write update,
 * whereas a field they do not know would be dropped by the next `docker service update`,
 * silently turning rebalancing off.
 */
export const REBALANCE_LABEL = 'shoal.rebalance';

/** The least time between two moves of one service, as a Go duration (`30s`, `1m30s`). */
export const REBALANCE_DELAY_LABEL = 'shoal.rebalance.delay';

/**
 * On a task the rebalancer created, the ID of the task it is to replace. It marks the move
 * as ours, so a slot holding two tasks for another reason (a start-first rolling update,
 * issue #7) is never taken for a move, and a move is finished from the store alone by
 * whichever leader comes next.
 */
export const REPLACES_LABEL = 'shoal.rebalance.replaces';

export const DEFAULT_REBALANCE_DELAY_MS = 5_000;

export interface RebalanceSettings {
  enabled: boolean;
  delayMs: number;
  /** The delay label's value when it did not parse (the default applies). */
  invalidDelay?: string;
}

export function rebalanceSettings(labels: Labels | undefined): RebalanceSettings {
  const enabled = labels?.[REBALANCE_LABEL]?.trim().toLowerCase() === 'true';
  const raw = labels?.[REBALANCE_DELAY_LABEL];
  if (raw === undefined) return { enabled, delayMs: DEFAULT_REBALANCE_DELAY_MS };
  const ms = parseDurationMs(raw);
  return ms === undefined
    ? { enabled, delayMs: DEFAULT_REBALANCE_DELAY_MS, invalidDelay: raw }
    : { enabled, delayMs: ms };
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/y;

/**
 * Go's time.ParseDuration for what a delay needs (ms, s, m, h; no sign), so a value written
 * for `--update-delay` means the same here. Undefined if it does not parse.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
