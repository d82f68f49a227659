import { type Kind, type StoredObject } from './store.contract';
import { isNamedKind, nameKey, nameOf, type TaskField, taskField } from './store.objects';
import { type ReadTx } from './store.types';

/** One object an overlay has written, with what the base held when it was first touched. */
export interface Touched {
  kind: Kind;
  id: string;
  /** The base's object at first touch; undefined if it did not exist. */
  base: StoredObject | undefined;
  /** The overlay's object now; undefined if removed. */
  value: StoredObject | undefined;
}

export interface NameClash {
  kind: Kind;
  id: string;
  name: string;
}

/**
 * Private writes layered over a read view. Used twice: by write transactions (so a
 * transaction reads its own writes) and at apply time (to check a whole proposal before
 * anything of it touches the tables). Overlays are small, so scanning the touched objects
 * is cheaper than maintaining indexes for them.
 */
export class Overlay implements ReadTx {
  /** Keyed by kind + NUL + ID; iteration order is first-touch order. */
  private readonly touched = new Map<string, Touched>();

  constructor(protected readonly base: ReadTx) {}

  get lastIndex(): number {
    return this.base.lastIndex;
  }

  get<T extends StoredObject = StoredObject>(kind: Kind, id: string): T | undefined {
    const t = this.touched.get(key(kind, id));
    return (t ? t.value : this.base.get(kind, id)) as T | undefined;
  }

  getByName<T extends StoredObject = StoredObject>(kind: Kind, name: string): T | undefined {
    const wanted = nameKey(name);
    for (const t of this.touched.values()) {
      if (t.kind !== kind || !t.value) continue;
      const n = nameOf(t.value);
      if (n !== undefined && nameKey(n) === wanted) return t.value as T;
    }
    // The base's owner counts only if the overlay has not changed or removed it.
    const owner = this.base.getByName<T>(kind, name);
    return owner && !this.touched.has(key(kind, owner.ID)) ? owner : undefined;
  }

  list<T extends StoredObject = StoredObject>(kind: Kind): T[] {
    return this.merge<T>(kind, this.base.list<T>(kind), () => true);
  }

  find<T extends StoredObject = StoredObject>(kind: Kind, predicate: (o: T) => boolean): T[] {
    return this.list<T>(kind).filter(predicate);
  }

  tasksByService<T extends StoredObject = StoredObject>(serviceId: string): T[] {
    return this.tasksWith<T>('ServiceID', serviceId, this.base.tasksByService<T>(serviceId));
  }

  tasksByNode<T extends StoredObject = StoredObject>(nodeId: string): T[] {
    return this.tasksWith<T>('NodeID', nodeId, this.base.tasksByNode<T>(nodeId));
  }

  tasksByDesiredState<T extends StoredObject = StoredObject>(state: string): T[] {
    return this.tasksWith<T>('DesiredState', state, this.base.tasksByDesiredState<T>(state));
  }

  /** Sets (or with `undefined`, removes) an object in the overlay. */
  protected write(kind: Kind, id: string, value: StoredObject | undefined): void {
    const k = key(kind, id);
    const t = this.touched.get(k);
    if (t) t.value = value;
    else this.touched.set(k, { kind, id, base: this.base.get(kind, id), value });
  }

  /** Everything written, in first-touch order. */
  protected writes(): Iterable<Touched> {
    return this.touched.values();
  }

  /**
   * The first name shared by two objects of a named kind once every write is in place:
   * either two written objects, or a written object and an untouched base object. Checking
   * the end state (not each step) lets one proposal free a name and reuse it.
   */
  protected findNameClash(): NameClash | undefined {
    const claimed = new Map<string, string>(); // kind + NUL + lower-cased name -> ID
    for (const t of this.touched.values()) {
      if (!t.value || !isNamedKind(t.kind)) continue;
      const name = nameOf(t.value);
      if (name === undefined) continue;
      const k = key(t.kind, nameKey(name));
      const other = claimed.get(k);
      if (other !== undefined && other !== t.id) return { kind: t.kind, id: t.id, name };
      claimed.set(k, t.id);
      const owner = this.base.getByName(t.kind, name);
      if (owner && owner.ID !== t.id && !this.touched.has(key(t.kind, owner.ID))) {
        return { kind: t.kind, id: t.id, name };
      }
    }
    return undefined;
  }

  private tasksWith<T extends StoredObject>(field: TaskField, value: string, fromBase: T[]): T[] {
    return this.merge<T>('task', fromBase, (o) => taskField(o, field) === value);
  }

  /** Base results the overlay has not touched, then the overlay's live objects that match. */
  private merge<T extends StoredObject>(kind: Kind, fromBase: T[], match: (o: T) => boolean): T[] {
    const out = fromBase.filter((o) => !this.touched.has(key(kind, o.ID)));
    for (const t of this.touched.values()) {
      if (t.kind === kind && t.value && match(t.value as T)) out.push(t.value as T);
    }
    return out;
  }
}

function key(kind: Kind, id: string): string {
  return `${kind}\0${id}`;
}
