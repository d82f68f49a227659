import { EVENT_FILTERS, type EventMessage, InvalidArgumentError, parseFilters } from '@shoal/api';

/**
 * GET /events query: since, until (Docker timestamps) and filters, parsed and checked up front
 * so a bad request fails with 400 before the stream starts.
 */
export interface EventsQuery {
  /** Inclusive lower bound, nanoseconds since the epoch. */
  sinceNano?: bigint;
  /** Inclusive upper bound, nanoseconds since the epoch. */
  untilNano?: bigint;
  filter: EventFilter;
}

export function parseEventsQuery(query: Record<string, unknown>): EventsQuery {
  const sinceRaw = single(query, 'since');
  const untilRaw = single(query, 'until');
  const sinceNano = parseDockerTimestamp('since', sinceRaw);
  const untilNano = parseDockerTimestamp('until', untilRaw);
  if (sinceNano !== undefined && untilNano !== undefined && untilNano < sinceNano) {
    // Docker's text.
    throw new InvalidArgumentError(
      `\`since\` time (${sinceRaw}) cannot be after \`until\` time (${untilRaw})`,
    );
  }
  const filters = parseFilters(single(query, 'filters'), EVENT_FILTERS);
  return { sinceNano, untilNano, filter: new EventFilter(filters) };
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  throw new InvalidArgumentError(`query parameter "${name}" must be given once, as a string`);
}

const TIMESTAMP = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/**
 * A Docker timestamp, as the docker CLI sends it: seconds since the epoch with an optional
 * fraction of up to 9 digits (`1700000000`, `1700000000.5`, `1700000000.123456789`). The CLI
 * turns durations and dates (`--since 10m`) into this form itself. Empty means unset.
 */
export function parseDockerTimestamp(name: string, raw: string | undefined): bigint | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = TIMESTAMP.exec(raw);
  if (!m) {
    throw new InvalidArgumentError(
      `invalid value for "${name}": ${JSON.stringify(raw)} is not a timestamp; use seconds since the epoch, optionally with a fraction (1700000000 or 1700000000.123456789)`,
    );
  }
  const fraction = (m[2] ?? '').padEnd(9, '0');
  return BigInt(m[1]!) * 1_000_000_000n + BigInt(fraction);
}

/** The engine-object filters: Shoal emits no such events, so any value excludes everything. */
const ENGINE_ONLY: readonly string[] = ['container', 'daemon', 'image', 'plugin', 'volume'];
/** Filters that name an object by ID or name prefix; they apply to every event, as in Docker. */
const BY_NAME: readonly string[] = ['config', 'network', 'node', 'secret', 'service'];
/** The attributes of a task event that its service and node filters also look at. */
const TASK_SUBJECTS: Readonly<Record<string, readonly string[]>> = {
  service: ['service.id', 'service.name'],
  node: ['node.id'],
};

/**
 * Docker's event filter semantics (daemon/events/filter.go), for the events Shoal has:
 * - type, event, scope: the value equals Type, Action or scope;
 * - service, node, secret, config, network: the value is a prefix of Actor.ID or of
 *   Actor.Attributes.name (so `node=<id>` also drops service events, as in Docker);
 * - task events (Shoal's addition) also match `service` by their service.id / service.name
 *   attributes and `node` by node.id, so `service=web` follows web's tasks too;
 * - label `k` or `k=v`: every one must be among Actor.Attributes;
 * - container, image, volume, plugin, daemon: match nothing (no engine events here).
 * Several values for one filter are alternatives; different filters must all match.
 */
export class EventFilter {
  constructor(private readonly filters: ReadonlyMap<string, readonly string[]>) {}

  matches(m: EventMessage): boolean {
    if (!this.exact('type', m.Type ?? '')) return false;
    if (!this.exact('event', m.Action ?? '')) return false;
    if (!this.exact('scope', m.scope ?? '')) return false;
    for (const key of ENGINE_ONLY) if (this.has(key)) return false;
    const attributes = m.Actor?.Attributes ?? {};
    const subjects = [m.Actor?.ID ?? '', attributes['name'] ?? ''];
    for (const key of BY_NAME) {
      if (!this.has(key)) continue;
      const also = m.Type === 'task' ? TASK_SUBJECTS[key] : undefined;
      const values = also ? [...subjects, ...also.map((a) => attributes[a] ?? '')] : subjects;
      if (!values.some((v) => this.fuzzy(key, v))) return false;
    }
    return this.labels(attributes);
  }

  /** True when the stream can never match anything: `scope=local` (Shoal has no local events). */
  get matchesNothing(): boolean {
    const scope = this.filters.get('scope');
    return (
      (scope !== undefined && scope.length > 0 && !scope.includes('swarm')) ||
      ENGINE_ONLY.some((k) => this.has(k))
    );
  }

  private has(key: string): boolean {
    return (this.filters.get(key)?.length ?? 0) > 0;
  }

  private exact(key: string, value: string): boolean {
    return !this.has(key) || this.filters.get(key)!.includes(value);
  }

  private fuzzy(key: string, value: string): boolean {
    return !this.has(key) || this.filters.get(key)!.some((v) => value.startsWith(v));
  }

  private labels(attributes: Record<string, string>): boolean {
    for (const want of this.filters.get('label') ?? []) {
      const eq = want.indexOf('=');
      const key = eq < 0 ? want : want.slice(0, eq);
      if (!Object.hasOwn(attributes, key)) return false;
      if (eq >= 0 && attributes[key] !== want.slice(eq + 1)) return false;
    }
    return true;
  }
}
