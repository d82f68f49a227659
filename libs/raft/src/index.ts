export * as core from './core';
export * from './node';
export * from './transport';
export * from './wal';
export * from './snapshot';
