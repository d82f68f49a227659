export * from './executor.port';
