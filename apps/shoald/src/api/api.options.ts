import { type Clock, type Logger } from '@shoal/common';
import { type BuildFacts, type HostFacts } from './system/system-info.builder';

/** DI token of the resolved ApiContext. */
export const API_CONTEXT = Symbol('ApiContext');

export interface ApiAppOptions {
  logger?: Logger;
  /** Largest accepted JSON request body; default 4 MiB. */
  bodyLimitBytes?: number;
  /** Reported by /version, /info and the Server header; default: package.json's. */
  version?: string;
  gitCommit?: string;
  /** RFC 3339. */
  buildTime?: string;
  /** /info's ID. Default: derived from the hostname, so it is stable across restarts. */
  engineId?: string;
  /** /info's DockerRootDir: the daemon's state directory. */
  rootDir?: string;
  /** Events history size; default DEFAULT_EVENTS_HISTORY. */
  eventsHistory?: number;
  /** Wall clock for event times and `until`; default the system clock. */
  clock?: Clock;
  /** Host facts source; tests pin it. Default: read from the OS per request. */
  hostFacts?: () => HostFacts;
  /** Serve GET and HEAD only, refusing the rest with 403 (the --api-readonly-addr listener). */
  readOnly?: boolean;
}

/** The options with defaults applied: what the API's providers get. */
export interface ApiContext {
  logger: Logger;
  bodyLimitBytes: number;
  build: BuildFacts;
  engineId: string;
  rootDir: string;
  eventsHistory: number;
  clock: Clock;
  hostFacts: () => HostFacts;
}
