import { type Clock, type Logger } from '@shoal/common';
import { type EventsFeed } from './events/events.feed';
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
  /** Events history size of the feed the app makes itself; default DEFAULT_EVENTS_HISTORY. */
  eventsHistory?: number;
  /**
   * The events feed to serve /events from. The daemon makes one and gives it to each of its
   * apps (unix socket, TCP listeners), so the history rings and the store watch exist once
   * and every listener streams the same events. The caller owns it: an app never closes a
   * feed it was given. Default: the app makes its own and closes it with itself.
   */
  eventsFeed?: EventsFeed;
  /** Wall clock for event times and `until`; default the system clock. */
  clock?: Clock;
  /** Host facts source; tests pin it. Default: read from the OS per request. */
  hostFacts?: () => HostFacts;
  /** The --api-readonly-addr listener: GET/HEAD of listed reads only (readOnlyRefusal), else 403. */
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
  /** A feed shared with other apps and owned by whoever made it; absent: the app's own. */
  eventsFeed?: EventsFeed;
  clock: Clock;
  hostFacts: () => HostFacts;
}
