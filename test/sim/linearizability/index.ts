export * from './history.types';
export * from './kv.model';
export * from './wing-gong.checker';
