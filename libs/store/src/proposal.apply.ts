import {
  type ApplyFailure,
  type FieldMap,
  type StoreChangeEvent,
  type StoredObject,
  type StoreProposal,
} from './store.contract';
import { alreadyExists, nameConflict, notFound, versionConflict } from './store.errors';
import { deepFreeze } from './store.objects';
import { Overlay } from './store.overlay';
import { rfc3339Nano } from './store.time';
import { type ReadTx } from './store.types';

/** One write of a checked proposal, ready to put into the tables. */
export type PlannedChange = Pick<StoreChangeEvent, 'kind' | 'action' | 'object' | 'previous'>;

export type ApplyPlan = { changes: PlannedChange[] } | { failure: ApplyFailure };

/**
 * Checks every precondition of a proposal against the committed state and, if all hold,
 * returns the objects to store, exactly as every manager will store them: the outcome
 * depends only on the state and the entry (index, proposal time), never on local clocks or
 * IDs. Nothing is written; the caller commits the changes, so a proposal applies entirely
 * or not at all.
 *
 * Actions are checked in order against a scratch overlay (so a proposal may create and then
 * update an object); name uniqueness is checked on the end state.
 */
export function planProposal(state: ReadTx, proposal: StoreProposal, index: number): ApplyPlan {
  return new ProposalCheck(state).plan(proposal, index);
}

class ProposalCheck extends Overlay {
  plan(proposal: StoreProposal, index: number): ApplyPlan {
    const stamp = rfc3339Nano(proposal.time);
    const changes: PlannedChange[] = [];
    for (const a of proposal.actions) {
      const id = a.op === 'remove' || !('object' in a) ? a.id : a.object.ID;
      const current = this.get(a.kind, id);
      if (a.op === 'create') {
        if (current) return { failure: alreadyExists(a.kind, id) };
        const object = stored(a.object, index, stamp, stamp);
        this.write(a.kind, id, object);
        changes.push({ kind: a.kind, action: 'create', object });
        continue;
      }
      if (!current) return { failure: notFound(a.kind, id) };
      if (a.op === 'update') {
        const whole = 'object' in a;
        if (current.Version.Index !== (whole ? a.object.Version.Index : a.version)) {
          return { failure: versionConflict(a.kind, id) };
        }
        const fields = whole ? a.object : patched(current, a.set, a.unset);
        const object = stored(fields, index, current.CreatedAt, stamp);
        this.write(a.kind, id, object);
        changes.push({ kind: a.kind, action: 'update', object, previous: current });
      } else {
        this.write(a.kind, id, undefined);
        changes.push({ kind: a.kind, action: 'remove', object: current, previous: current });
      }
    }
    const clash = this.findNameClash();
    if (clash) return { failure: nameConflict(clash.kind, clash.id, clash.name) };
    return { changes };
  }
}

/**
 * `current` with `set` and `unset` applied, fields in a fixed order (the current ones, then
 * new ones in the patch's order), so every manager stores the same object. The codec has
 * refused patches that touch ID or "__proto__".
 */
function patched(current: StoredObject, set: FieldMap, unset: string[] = []): StoredObject {
  const was = current as unknown as FieldMap;
  const gone = new Set(unset);
  const out: FieldMap = {};
  for (const key of Object.keys(was)) {
    if (!gone.has(key))
      out[key] = Object.prototype.hasOwnProperty.call(set, key) ? set[key] : was[key];
  }
  for (const key of Object.keys(set))
    if (!Object.hasOwn(out, key) && !gone.has(key)) out[key] = set[key];
  return out as unknown as StoredObject;
}

/** The proposer's object with the fields only apply may set. */
function stored(o: StoredObject, index: number, createdAt: string, updatedAt: string) {
  return deepFreeze({
    ...o,
    Version: { Index: index },
    CreatedAt: createdAt,
    UpdatedAt: updatedAt,
  });
}
