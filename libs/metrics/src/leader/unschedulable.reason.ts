/**
 * The `reason` label of shoal_scheduler_unschedulable_tasks, from a pending task's Status.Err.
 *
 * The scheduler writes "no suitable node (insufficient resources on 2 nodes; 1 node not
 * ready)" (a preassigned task gets the bare explanation), with node counts that change with
 * the cluster's size and clauses ordered by those counts: used as they are, every count and
 * every ordering would be a series of its own. The label keeps what the operator acts on:
 * which filters refused, without the counts, clauses sorted, always in the "no suitable node
 * (…)" form. Any other digits (a custom filter's text, another writer's error) become "N",
 * and the text is cut at MAX_REASON_LENGTH. LeaderMetrics also caps the distinct reasons
 * per scrape (MAX_REASONS), folding the rest into OTHER_REASON.
 */
export const MAX_REASON_LENGTH = 200;
export const MAX_REASONS = 20;
export const OTHER_REASON = 'other';

const PREFIX = 'no suitable node';

export function unschedulableReason(err: string): string {
  let explanation = err.trim();
  if (explanation.startsWith(PREFIX)) {
    explanation = explanation.slice(PREFIX.length).trim();
    if (explanation.startsWith('(') && explanation.endsWith(')')) {
      explanation = explanation.slice(1, -1);
    }
  }
  const clauses = explanation
    .split(';')
    .map(withoutCounts)
    .filter((c) => c.length > 0);
  const unique = [...new Set(clauses)].sort();
  const reason = unique.length > 0 ? `${PREFIX} (${unique.join('; ')})` : PREFIX;
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
}

/** "insufficient resources on 2 nodes" → "insufficient resources"; "1 node not ready" → "node not ready". */
function withoutCounts(clause: string): string {
  return clause
    .trim()
    .replace(/\s+on \d+ nodes?$/, '')
    .replace(/^\d+ nodes? /, 'node ')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ');
}
