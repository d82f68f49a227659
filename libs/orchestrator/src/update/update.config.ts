import {
  DEFAULT_ROLLBACK_CONFIG,
  DEFAULT_UPDATE_CONFIG,
} from '@shoal/api/validation/service-defaults';
import {
  type RollbackConfig,
  type ServiceSpec,
  type ServiceUpdateStatus,
  type UpdateConfig,
} from '@shoal/api/swarm';

/** An UpdateConfig or RollbackConfig with every default applied, durations in ms. */
export interface ResolvedUpdateConfig {
  /** Slots in flight at once; Infinity for the API's 0 ("all at once"). */
  parallelism: number;
  delayMs: number;
  failureAction: 'continue' | 'pause' | 'rollback';
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

const NS_PER_MS = 1e6;

/** Whether the service's update status says a rollback is what is running (or paused). */
export function isRollback(status: ServiceUpdateStatus | undefined): boolean {
  const s = status?.State;
  return s === 'rollback_started' || s === 'rollback_paused' || s === 'rollback_completed';
}

/**
 * The config that drives the current rollout: RollbackConfig while rolling back, else
 * UpdateConfig, each field defaulting to Swarm's (1, 0 s, pause, 5 s, 0, stop-first) when
 * unset or unusable. The API's 0 parallelism means all at once.
 */
export function resolveUpdateConfig(
  spec: Pick<ServiceSpec, 'UpdateConfig' | 'RollbackConfig'>,
  rollback: boolean,
): ResolvedUpdateConfig {
  const given: UpdateConfig | RollbackConfig =
    (rollback ? spec.RollbackConfig : spec.UpdateConfig) ?? {};
  const defaults = rollback ? DEFAULT_ROLLBACK_CONFIG : DEFAULT_UPDATE_CONFIG;
  const parallelism = nonNegative(given.Parallelism, defaults.Parallelism);
  const action = given.FailureAction;
  return {
    parallelism: parallelism === 0 ? Infinity : Math.floor(parallelism),
    delayMs: nonNegative(given.Delay, defaults.Delay) / NS_PER_MS,
    failureAction:
      action === 'continue' || action === 'pause' || action === 'rollback'
        ? action
        : defaults.FailureAction,
    monitorMs: nonNegative(given.Monitor, defaults.Monitor) / NS_PER_MS,
    maxFailureRatio: nonNegative(given.MaxFailureRatio, defaults.MaxFailureRatio),
    order:
      given.Order === 'start-first' || given.Order === 'stop-first' ? given.Order : defaults.Order,
  };
}

function nonNegative(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}
