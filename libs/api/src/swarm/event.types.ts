export type EventType =
  | 'builder'
  | 'config'
  | 'container'
  | 'daemon'
  | 'image'
  | 'network'
  | 'node'
  | 'plugin'
  | 'secret'
  | 'service'
  /** A Shoal addition: dockerd emits no task events. */
  | 'task'
  | 'volume';

export type EventScope = 'local' | 'swarm';

/** The object an event is about. */
export interface EventActor {
  ID?: string;
  /** Swarm events carry `name`, and for updates the changed field's old and new values. */
  Attributes?: Record<string, string>;
}

/** One line of GET /events. Note the lower-case `scope`, `time` and `timeNano`. */
export interface EventMessage {
  Type?: EventType;
  Action?: string;
  Actor?: EventActor;
  scope?: EventScope;
  /** Seconds since the epoch. */
  time?: number;
  /**
   * Nanoseconds since the epoch. Above 2^53, so a JS number keeps only about microsecond
   * precision; the docker CLI only orders and prints it, which that is enough for.
   */
  timeNano?: number;
}
