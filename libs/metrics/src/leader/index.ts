export * from './leader.metrics';
export * from './store.census';
export * from './unschedulable.reason';
