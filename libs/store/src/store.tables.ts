import { type Kind, KINDS, type StoredObject } from './store.contract';
import {
  isNamedKind,
  nameKey,
  nameOf,
  TASK_FIELDS,
  type TaskField,
  taskField,
} from './store.objects';
import { type ReadTx } from './store.types';

/** Committed objects, one map per kind, in the order they were first created. */
export type TableImage = Record<Kind, StoredObject[]>;

/** The secondary indexes in a canonical, comparable form (for tests and debugging). */
export interface IndexDump {
  names: Record<string, Array<[string, string]>>;
  tasks: Record<TaskField, Array<[string, string[]]>>;
}

/**
 * The committed state: the ID tables plus secondary indexes, kept consistent by routing
 * every change through put()/delete(). Secondary indexes hold IDs, not objects, so an
 * object is stored once and an index can never serve a stale version of it.
 */
export class Tables implements ReadTx {
  lastIndex = 0;
  private readonly byId = new Map<Kind, Map<string, StoredObject>>();
  /** kind -> lower-cased name -> ID, for NAMED_KINDS. */
  private readonly byName = new Map<Kind, Map<string, string>>();
  /** task field -> value -> IDs. */
  private readonly tasksBy = new Map<TaskField, Map<string, Set<string>>>();

  constructor() {
    this.clear();
  }

  get<T extends StoredObject = StoredObject>(kind: Kind, id: string): T | undefined {
    return this.table(kind).get(id) as T | undefined;
  }

  getByName<T extends StoredObject = StoredObject>(kind: Kind, name: string): T | undefined {
    const key = nameKey(name);
    if (isNamedKind(kind)) {
      const id = this.byName.get(kind)!.get(key);
      return id === undefined ? undefined : this.get<T>(kind, id);
    }
    for (const o of this.table(kind).values()) {
      const n = nameOf(o);
      if (n !== undefined && nameKey(n) === key) return o as T;
    }
    return undefined;
  }

  count(kind: Kind): number {
    return this.table(kind).size;
  }

  list<T extends StoredObject = StoredObject>(kind: Kind): T[] {
    return [...this.table(kind).values()] as T[];
  }

  find<T extends StoredObject = StoredObject>(kind: Kind, predicate: (o: T) => boolean): T[] {
    return this.list<T>(kind).filter(predicate);
  }

  tasksByService<T extends StoredObject = StoredObject>(serviceId: string): T[] {
    return this.tasksWith<T>('ServiceID', serviceId);
  }

  tasksByNode<T extends StoredObject = StoredObject>(nodeId: string): T[] {
    return this.tasksWith<T>('NodeID', nodeId);
  }

  tasksByDesiredState<T extends StoredObject = StoredObject>(state: string): T[] {
    return this.tasksWith<T>('DesiredState', state);
  }

  /** Inserts or replaces; the caller has checked every precondition. */
  put(kind: Kind, object: StoredObject): void {
    const previous = this.get(kind, object.ID);
    if (previous) this.unindex(kind, previous);
    this.table(kind).set(object.ID, object);
    this.index(kind, object);
  }

  delete(kind: Kind, id: string): void {
    const previous = this.get(kind, id);
    if (!previous) return;
    this.unindex(kind, previous);
    this.table(kind).delete(id);
  }

  /** Every object, by kind; the arrays are new but the (frozen) objects are shared. */
  image(): TableImage {
    const out = {} as TableImage;
    for (const kind of KINDS) out[kind] = this.list(kind);
    return out;
  }

  /** Replaces everything with an image (objects must already be frozen) and rebuilds indexes. */
  load(image: Partial<TableImage>, lastIndex: number): void {
    this.clear();
    for (const kind of KINDS) for (const o of image[kind] ?? []) this.put(kind, o);
    this.lastIndex = lastIndex;
  }

  indexDump(): IndexDump {
    const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
    const names: IndexDump['names'] = {};
    for (const [kind, m] of this.byName) names[kind] = sorted(m);
    const tasks = {} as IndexDump['tasks'];
    for (const [field, m] of this.tasksBy) {
      tasks[field] = sorted(m).map(([v, ids]) => [v, [...ids].sort()]);
    }
    return { names, tasks };
  }

  private clear(): void {
    for (const kind of KINDS) this.byId.set(kind, new Map());
    for (const kind of KINDS) if (isNamedKind(kind)) this.byName.set(kind, new Map());
    for (const field of TASK_FIELDS) this.tasksBy.set(field, new Map());
    this.lastIndex = 0;
  }

  private table(kind: Kind): Map<string, StoredObject> {
    const t = this.byId.get(kind);
    if (!t) throw new TypeError(`unknown object kind: ${String(kind)}`);
    return t;
  }

  private tasksWith<T>(field: TaskField, value: string): T[] {
    const ids = this.tasksBy.get(field)!.get(value);
    if (!ids) return [];
    const tasks = this.table('task');
    return [...ids].map((id) => tasks.get(id) as T);
  }

  private index(kind: Kind, o: StoredObject): void {
    const name = nameOf(o);
    if (name !== undefined && isNamedKind(kind)) this.byName.get(kind)!.set(nameKey(name), o.ID);
    if (kind !== 'task') return;
    for (const field of TASK_FIELDS) {
      const value = taskField(o, field);
      if (value === undefined) continue;
      const m = this.tasksBy.get(field)!;
      let ids = m.get(value);
      if (!ids) m.set(value, (ids = new Set()));
      ids.add(o.ID);
    }
  }

  private unindex(kind: Kind, o: StoredObject): void {
    const name = nameOf(o);
    if (name !== undefined && isNamedKind(kind)) {
      const m = this.byName.get(kind)!;
      // Only if it still points here: apply guarantees uniqueness, but a restored image
      // is taken as it is.
      if (m.get(nameKey(name)) === o.ID) m.delete(nameKey(name));
    }
    if (kind !== 'task') return;
    for (const field of TASK_FIELDS) {
      const value = taskField(o, field);
      if (value === undefined) continue;
      const m = this.tasksBy.get(field)!;
      const ids = m.get(value);
      ids?.delete(o.ID);
      // Drop empty sets so the index does not grow with every value ever seen.
      if (ids?.size === 0) m.delete(value);
    }
  }
}
