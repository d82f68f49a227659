export * from './agent.metrics';
export * from './task-usage.sampler';
export * from './timed.executor';
