export * from './docker.executor';
export * from './docker.controller';
export * from './container-config';
export { DockerEngineError } from './engine-error';
