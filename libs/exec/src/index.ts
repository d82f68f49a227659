export * from './executor.port';
export * from './process';
export * from './state/task-state.machine';
export * from './controller/task.controller';
export * from './docker';
