import { type Kind, NAMED_KINDS, type StoredObject } from './store.contract';

/**
 * Immutability policy: every object the store hands out is deep-frozen, once, when it is
 * written (a transaction's copy, or the decoded copy at apply). Reads then return the stored
 * reference with no copying, which is what the hot paths (orchestrators listing tasks) want.
 * To change an object, structuredClone() it, edit the clone and pass it to tx.update().
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // A frozen child is one of ours and already frozen all the way down.
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A detached copy in exactly the form the object will have after the proposal's JSON round
 * trip, so what a transaction reads back is what apply will store.
 */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const NAMED = new Set<Kind>(NAMED_KINDS);

export function isNamedKind(kind: Kind): boolean {
  return NAMED.has(kind);
}

/** The object's name as given, or undefined if it has none. */
export function nameOf(object: StoredObject): string | undefined {
  const name = object.Spec?.Name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Names are unique case-insensitively, as in swarmkit: "Web" and "web" would be
 * indistinguishable to users of the CLI, so they conflict.
 */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** The task fields the store indexes. */
export type TaskField = 'ServiceID' | 'NodeID' | 'DesiredState';
export const TASK_FIELDS: readonly TaskField[] = ['ServiceID', 'NodeID', 'DesiredState'];

/** A task's value for an indexed field; empty and non-string values are not indexed. */
export function taskField(task: StoredObject, field: TaskField): string | undefined {
  const value = (task as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
