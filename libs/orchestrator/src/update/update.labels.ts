import { type Labels } from '@shoal/api/swarm';
import { parseDurationMs } from '../rebalance/rebalance.labels';
import { isCanaryPause, type StoredUpdateStatus } from './update.status';

/**
 * Shoal's additions to rolling updates (issue #7, "Beyond Swarm"), opt-in on the service's
 * Spec.Labels. Labels and not new UpdateConfig fields, for the reason the rebalancer gives
 * (rebalance.labels.ts): Docker clients set them with `--label-add` and send them back
 * untouched on every read-modify-write update, where an unknown field would be dropped.
 * Durations are Go durations (`30s`, `1m30s`), parsed as the rebalancer parses its delay.
 */

/** Replace this many slots first, then pause (a positive integer; 0 or absent: no canary). */
export const CANARY_LABEL = 'shoal.update.canary';
/** How long the canary pause lasts before the update goes on by itself; absent: until promoted. */
export const CANARY_PAUSE_LABEL = 'shoal.update.canary.pause';
/** How long a task being replaced stays out of load balancing before it is stopped. */
export const DRAIN_LABEL = 'shoal.update.drain';

/**
 * On a task (Task.Labels, which Docker clients show and ignore): it is being replaced and has
 * left load balancing since this RFC 3339 time. Written by the updater in the store, read by
 * the load balancer (the ingress issue) and by the updater, which stops the task once the
 * drain delay has passed since then, whichever manager leads by that time.
 */
export const DRAINING_SINCE_LABEL = 'shoal.draining-since';

export interface UpdateExtras {
  /** Canary slots; 0 when off. */
  canary: number;
  /** The canary pause; undefined: until promoted. */
  canaryPauseMs?: number;
  /** Drain delay before stopping a replaced task; 0 when off. */
  drainMs: number;
  /** Labels whose value did not parse (and were ignored). */
  invalid: string[];
}

export function updateExtras(labels: Labels | undefined): UpdateExtras {
  const invalid: string[] = [];
  const raw = (key: string) => {
    const v = labels?.[key];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  let canary = 0;
  const c = raw(CANARY_LABEL);
  if (c !== undefined) {
    if (/^\s*\d+\s*$/.test(c) && Number.isSafeInteger(Number(c))) canary = Number(c);
    else invalid.push(CANARY_LABEL);
  }
  const duration = (key: string): number | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    const ms = parseDurationMs(v);
    if (ms === undefined) invalid.push(key);
    return ms;
  };
  const canaryPauseMs = duration(CANARY_PAUSE_LABEL);
  const drainMs = duration(DRAIN_LABEL) ?? 0;
  const out: UpdateExtras = { canary, drainMs, invalid };
  if (canaryPauseMs !== undefined) out.canaryPauseMs = canaryPauseMs;
  return out;
}

/**
 * The service's update is in its canary step, not yet promoted: replacing the canary slots
 * (`updating`, canary label set) or paused for promotion. A `service update` that leaves the
 * task template alone (a label, the replica count) keeps it there instead of starting over.
 */
export function canaryInProgress(service: {
  Spec: { Labels?: Labels };
  UpdateStatus?: StoredUpdateStatus;
}): boolean {
  const status = service.UpdateStatus;
  if (isCanaryPause(status)) return true;
  return (
    status?.State === 'updating' &&
    status.ShoalCanary?.PromotedAt === undefined &&
    updateExtras(service.Spec.Labels).canary > 0
  );
}
