export * from './registry';
export * from './registry.group';
export * from './raft/raft.metrics';
export * from './store/store.metrics';
export * from './leader';
export * from './agent';
