import { type EventMessage, type EventType } from '@shoal/api';
import { type Kind, type StoreChangeEvent, type StoredObject } from '@shoal/store';

/**
 * One mapped event: Docker's message plus its exact time in nanoseconds. Docker's timeNano
 * (about 1.7e18) is beyond 2^53, so it is kept as a bigint and written into the JSON line
 * verbatim (see encodeEventLine) rather than rounded through a JS number.
 */
export interface FeedEvent {
  message: EventMessage;
  timeNano: bigint;
}

/** The store kinds that produce events, and the event Type each becomes. The cluster object
 * produces none, as in Docker. Tasks are a Shoal addition: dockerd has no task events. */
const EVENT_TYPE: Partial<Record<Kind, EventType>> = {
  service: 'service',
  node: 'node',
  secret: 'secret',
  config: 'config',
  network: 'network',
  task: 'task',
};

export const EVENT_KINDS: readonly Kind[] = Object.keys(EVENT_TYPE) as Kind[];

/**
 * Maps a committed store change to the event dockerd emits for the same swarm change:
 * Action create | update | remove, scope "swarm", Actor.ID the object ID and
 * Actor.Attributes.name its name. Updates also carry `<field>.old` / `<field>.new` for the
 * fields Docker reports when they changed:
 * - node: availability, role, state, leader, reachability (lower-case values, as Docker);
 * - service: image, replicas, updatestate.
 * Secrets, configs and networks carry only their name.
 *
 * Tasks (Shoal's addition) carry name (`<service>.<slot>.<task ID>`, or the node ID for a
 * global task's slot, as `docker service ps` names them), service.id, service.name (the
 * copy the orchestrator keeps on each task, so no store lookup), node.id and slot when
 * known, and on updates state.old/new (Status.State) and desiredstate.old/new. A task update
 * that changes neither state, desired state nor node returns undefined: tasks are the
 * busiest kind (a scale to 1,000 replicas is several thousand writes) and the rest of their
 * writes (messages, port status, attachments) would only add noise.
 *
 * Returns undefined for kinds that produce no event. The time is the proposal's time, the
 * same on every manager. The cost is a handful of property reads per change.
 */
export function mapStoreChange(change: StoreChangeEvent): FeedEvent | undefined {
  const type = EVENT_TYPE[change.kind];
  if (!type) return undefined;
  const object = change.object as Loose;
  const previous = change.previous as Loose | undefined;
  let attributes: Record<string, string>;
  if (type === 'task') {
    attributes = taskAttributes(object);
    if (change.action === 'update' && previous && !taskChanges(object, previous, attributes)) {
      return undefined;
    }
  } else {
    attributes = { name: nameOf(change.kind, object) };
    if (change.action === 'update' && previous) {
      if (type === 'node') nodeChanges(object, previous, attributes);
      if (type === 'service') serviceChanges(object, previous, attributes);
    }
  }
  const ms = Math.trunc(change.time);
  return {
    message: {
      Type: type,
      Action: change.action,
      Actor: { ID: change.object.ID, Attributes: attributes },
      scope: 'swarm',
      time: Math.floor(ms / 1000),
      timeNano: ms * 1_000_000,
    },
    timeNano: BigInt(ms) * 1_000_000n,
  };
}

/** Stored objects are Docker API shapes; only a few nested fields are read, defensively. */
type Loose = StoredObject & Record<string, unknown>;

function nameOf(kind: Kind, o: Loose): string {
  const name = o.Spec?.Name;
  if (name) return name;
  // Docker falls back to the hostname for nodes without a Spec.Name.
  if (kind === 'node') return str(at(o, 'Description', 'Hostname')) ?? '';
  return '';
}

function taskAttributes(task: Loose): Record<string, string> {
  const serviceId = str(task['ServiceID']);
  const serviceName = str(at(task, 'ServiceAnnotations', 'Name'));
  const nodeId = str(task['NodeID']);
  const slot = typeof task['Slot'] === 'number' && task['Slot'] > 0 ? String(task['Slot']) : '';
  const name = str(task['Name']) || `${serviceName ?? ''}.${slot || (nodeId ?? '')}.${task.ID}`;
  const out: Record<string, string> = { name };
  if (serviceId) out['service.id'] = serviceId;
  if (serviceName) out['service.name'] = serviceName;
  if (nodeId) out['node.id'] = nodeId;
  if (slot) out['slot'] = slot;
  return out;
}

/** Adds the task's state changes; false when nothing an event reports changed. */
function taskChanges(now: Loose, before: Loose, out: Record<string, string>): boolean {
  diff(out, 'state', at(before, 'Status', 'State'), at(now, 'Status', 'State'));
  diff(out, 'desiredstate', before['DesiredState'], now['DesiredState']);
  return 'state.new' in out || 'desiredstate.new' in out || before['NodeID'] !== now['NodeID'];
}

function nodeChanges(now: Loose, before: Loose, out: Record<string, string>): void {
  diff(out, 'availability', at(before, 'Spec', 'Availability'), at(now, 'Spec', 'Availability'));
  diff(out, 'role', at(before, 'Spec', 'Role'), at(now, 'Spec', 'Role'));
  diff(out, 'state', at(before, 'Status', 'State'), at(now, 'Status', 'State'));
  // Only between two manager states, as Docker: promotion and demotion show as role changes.
  if (at(now, 'ManagerStatus') && at(before, 'ManagerStatus')) {
    diff(
      out,
      'leader',
      !!at(before, 'ManagerStatus', 'Leader'),
      !!at(now, 'ManagerStatus', 'Leader'),
    );
    diff(
      out,
      'reachability',
      at(before, 'ManagerStatus', 'Reachability'),
      at(now, 'ManagerStatus', 'Reachability'),
    );
  }
}

function serviceChanges(now: Loose, before: Loose, out: Record<string, string>): void {
  diff(
    out,
    'image',
    at(before, 'Spec', 'TaskTemplate', 'ContainerSpec', 'Image'),
    at(now, 'Spec', 'TaskTemplate', 'ContainerSpec', 'Image'),
  );
  diff(
    out,
    'replicas',
    at(before, 'Spec', 'Mode', 'Replicated', 'Replicas'),
    at(now, 'Spec', 'Mode', 'Replicated', 'Replicas'),
  );
  const oldState = at(before, 'UpdateStatus', 'State');
  const newState = at(now, 'UpdateStatus', 'State');
  // A first update status has no old value; Docker then sends only updatestate.new.
  if (oldState === undefined && newState !== undefined) out['updatestate.new'] = String(newState);
  else diff(out, 'updatestate', oldState, newState);
}

/** Adds `<key>.old` / `<key>.new` when both sides are known and differ. */
function diff(out: Record<string, string>, key: string, before: unknown, now: unknown): void {
  if (before === undefined || now === undefined || before === null || now === null) return;
  const b = String(before).toLowerCase();
  const n = String(now).toLowerCase();
  if (b === n) return;
  out[`${key}.old`] = b;
  out[`${key}.new`] = n;
}

function at(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * One line of the /events stream: the message as JSON with timeNano written exactly, then
 * a newline (Docker's json.Encoder output, which the CLI decodes one value at a time).
 */
export function encodeEventLine(event: FeedEvent): string {
  const { timeNano: _approx, ...rest } = event.message;
  const json = JSON.stringify(rest);
  const head = json === '{}' ? '{' : `${json.slice(0, -1)},`;
  return `${head}"timeNano":${event.timeNano.toString()}}\n`;
}
