export * from './process.executor';
export * from './process.controller';
export { DEFAULT_PATH } from './command';
