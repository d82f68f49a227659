export * as fieldSchema from './field-schema';
export {
  CONSTRAINT_FIXED_KEYS,
  CONSTRAINT_LABEL_PREFIXES,
  type Constraint,
  type ConstraintOperator,
  parseConstraint,
} from './constraint.parser';
export {
  CONFIG_FILTERS,
  EVENT_FILTERS,
  matchLabelFilter,
  NETWORK_FILTERS,
  NODE_FILTERS,
  parseFilters,
  SECRET_FILTERS,
  SERVICE_FILTERS,
  TASK_FILTERS,
} from './filters.parser';
export {
  type IntQueryOptions,
  parseBoolQuery,
  parseIntQuery,
  parseServiceUpdateQuery,
  parseSwarmUpdateQuery,
} from './query.parser';
export { MAX_REPLICAS, validateServiceSpec } from './service-spec.validator';
export { validateNodeSpec } from './node-spec.validator';
export {
  DATA_PATH_PORT_MAX,
  DATA_PATH_PORT_MIN,
  DEFAULT_SUBNET_SIZE,
  MAX_SUBNET_SIZE,
  MIN_NODE_CERT_EXPIRY_NS,
  validateSwarmInitRequest,
  validateSwarmJoinRequest,
  validateSwarmSpec,
  validateSwarmUnlockRequest,
} from './swarm-spec.validator';
export {
  MAX_SECRET_BYTES,
  type SpecValidationOptions,
  validateSecretSpec,
} from './secret-spec.validator';
export { MAX_CONFIG_BYTES, validateConfigSpec } from './config-spec.validator';
export {
  applyServiceDefaults,
  DEFAULT_RESTART_POLICY,
  DEFAULT_ROLLBACK_CONFIG,
  DEFAULT_UPDATE_CONFIG,
} from './service-defaults';
export { applySwarmSpecDefaults, defaultSwarmSpec, SWARM_DEFAULTS } from './swarm-defaults';
