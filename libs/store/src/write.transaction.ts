import { type IdGenerator } from '@shoal/common';
import { type Kind, type StoreAction, type StoredObject } from './store.contract';
import { alreadyExists, nameConflict, notFound, StoreError, versionConflict } from './store.errors';
import { cloneJson, deepFreeze, isNamedKind, nameOf, updateFields } from './store.objects';
import { Overlay } from './store.overlay';
import { rfc3339Nano } from './store.time';
import { type NewObject, type ReadTx, type WriteTx } from './store.types';

/**
 * The transaction handed to MemoryStore.update(). Writes go to a private overlay; at the
 * end they are coalesced into one action per object (create + update = create, create +
 * remove = nothing, ...) so the proposal states only the net change and the versions the
 * transaction read.
 */
export class WriteTransaction extends Overlay implements WriteTx {
  private readonly stamp: string;

  constructor(
    base: ReadTx,
    readonly time: number,
    private readonly newId: IdGenerator,
  ) {
    super(base);
    this.stamp = rfc3339Nano(time);
  }

  create<T extends StoredObject = StoredObject>(kind: Kind, input: NewObject<T>): T {
    const object = detached(input) as unknown as StoredObject;
    if (object.ID === undefined || object.ID === '') object.ID = this.newId();
    if (typeof object.ID !== 'string') throw new TypeError('object ID must be a string');
    if (this.get(kind, object.ID)) throw new StoreError(alreadyExists(kind, object.ID));
    this.checkName(kind, object);
    object.Version = { Index: 0 };
    object.CreatedAt = this.stamp;
    object.UpdatedAt = this.stamp;
    this.write(kind, object.ID, deepFreeze(object));
    return object as T;
  }

  update<T extends StoredObject = StoredObject>(kind: Kind, input: T): T {
    const object = detached(input) as StoredObject;
    const current = this.get(kind, object.ID);
    if (!current) throw new StoreError(notFound(kind, object.ID));
    if (object.Version?.Index !== current.Version.Index) {
      throw new StoreError(versionConflict(kind, object.ID));
    }
    this.checkName(kind, object);
    object.Version = { Index: current.Version.Index };
    object.CreatedAt = current.CreatedAt;
    object.UpdatedAt = this.stamp;
    this.write(kind, object.ID, deepFreeze(object));
    return object as T;
  }

  remove(kind: Kind, id: string): void {
    if (!this.get(kind, id)) throw new StoreError(notFound(kind, id));
    this.write(kind, id, undefined);
  }

  /** The net effect as proposal actions, and the IDs of created objects. */
  actions(): { actions: StoreAction[]; created: string[] } {
    const actions: StoreAction[] = [];
    const created: string[] = [];
    for (const { kind, id, base, value } of this.writes()) {
      if (!base && value) {
        actions.push({ op: 'create', kind, object: value });
        created.push(id);
      } else if (base && value) {
        // Expect the version this transaction read, even if it removed and re-created the ID.
        actions.push({
          op: 'update',
          kind,
          id,
          version: base.Version.Index,
          ...updateFields(base, value),
        });
      } else if (base && !value) {
        actions.push({ op: 'remove', kind, id });
      }
    }
    return { actions, created };
  }

  private checkName(kind: Kind, object: StoredObject): void {
    const name = nameOf(object);
    if (name === undefined || !isNamedKind(kind)) return;
    const owner = this.getByName(kind, name);
    if (owner && owner.ID !== object.ID) throw new StoreError(nameConflict(kind, object.ID, name));
  }
}

/**
 * The input in its stored (JSON) form. A top-level "__proto__" key would be read back as the
 * prototype when applied, so it is refused here rather than stored differently on the
 * proposer and on the managers that decode the entry.
 */
function detached(input: object): object {
  // The top level is always a copy (the transaction stamps Version and the times on it),
  // even of a stored object handed back as it is; only its frozen children are shared.
  const object = cloneJson(Object.isFrozen(input) ? { ...input } : input);
  if (Object.hasOwn(object, '__proto__')) {
    throw new TypeError('an object may not have a top-level "__proto__" field');
  }
  return object;
}
