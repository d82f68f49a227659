import { type WriteTx } from '@shoal/store';
import { type OrchestratedTask } from '../replicated/replicated.types';

/**
 * Writes the task a start-first replacement is created next to, unchanged, so that the
 * transaction expects its current version. Two writers that each decide from their own view
 * must not both refill one slot: if the replicated orchestrator replaces the same task in a
 * concurrent transaction (its node drained, it failed), one of the two proposals now fails
 * its version check and is decided again from the other's result, instead of both
 * committing and leaving two tasks running in the slot for good.
 */
export function guardReplaced(tx: WriteTx, taskId: string): void {
  const current = tx.get<OrchestratedTask>('task', taskId);
  if (current) tx.update<OrchestratedTask>('task', { ...current });
}
