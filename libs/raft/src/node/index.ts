export * from './driver.errors';
export { type RaftDriverMetrics } from './driver.metrics';
export { DRIVER_DEFAULTS, type RaftDriverOptions, type RaftMemberAddress } from './driver.options';
export { RaftDriver, type RaftDriverStatus } from './raft.driver';
export { type StateMachine } from './state-machine';
export { missingRaftHostFlags, RAFT_HOST_NODE_FLAGS } from './host-runtime';
