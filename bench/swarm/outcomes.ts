/**
 * What the update stream saw, in a form a report can count. Every request ends as one
 * Outcome; failures are grouped by status and by their message with the parts that differ
 * from trial to trial (node IDs, addresses, socket paths, durations) masked, so that "the
 * leader is 3f…" and "the leader is 9k…" count as one kind of answer.
 */

export type Phase = 'read' | 'update';

export type Outcome =
  | { kind: 'success'; sentAt: number; doneAt: number; target: string }
  /** 409 "update out of sequence": the stream re-reads and tries again; not a failure. */
  | { kind: 'conflict'; sentAt: number; doneAt: number; target: string }
  | {
      kind: 'failure';
      phase: Phase;
      /** HTTP status, or 0 when there was no HTTP answer (connection refused, timeout). */
      status: number;
      message: string;
      sentAt: number;
      doneAt: number;
      target: string;
    };

export type Failure = Extract<Outcome, { kind: 'failure' }>;

/** Masks what varies between occurrences of the same kind of error. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}:\d+\b/g, '<addr>')
    .replace(/\[[0-9a-f:]+\]:\d+/gi, '<addr>')
    .replace(/(?:\/[\w.@+-]+)+\.sock\b/g, '<socket>')
    .replace(/\b[a-z0-9]{25}\b/g, '<id>')
    .replace(/\b\d+(?:\.\d+)? ?ms\b/g, '<n> ms')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 240);
}

export interface FailureKind {
  phase: Phase;
  status: number;
  message: string;
  count: number;
}

/** Failures grouped by (phase, status, normalized message), most frequent first. */
export function tallyFailures(outcomes: readonly Outcome[]): FailureKind[] {
  const byKey = new Map<string, FailureKind>();
  for (const o of outcomes) {
    if (o.kind !== 'failure') continue;
    const message = normalizeMessage(o.message);
    const key = `${o.phase}\u0000${o.status}\u0000${message}`;
    const k = byKey.get(key);
    if (k) k.count++;
    else byKey.set(key, { phase: o.phase, status: o.status, message, count: 1 });
  }
  return [...byKey.values()].sort(
    (a, b) => b.count - a.count || a.status - b.status || a.message.localeCompare(b.message),
  );
}

/** Adds tallies (e.g. of several trials) into one, most frequent first. */
export function mergeTallies(tallies: readonly (readonly FailureKind[])[]): FailureKind[] {
  const byKey = new Map<string, FailureKind>();
  for (const t of tallies) {
    for (const k of t) {
      const key = `${k.phase}\u0000${k.status}\u0000${k.message}`;
      const prev = byKey.get(key);
      if (prev) prev.count += k.count;
      else byKey.set(key, { ...k });
    }
  }
  return [...byKey.values()].sort(
    (a, b) => b.count - a.count || a.status - b.status || a.message.localeCompare(b.message),
  );
}

export interface WindowCounts {
  successes: number;
  conflicts: number;
  failedUpdates: number;
  failedReads: number;
}

export function countOutcomes(outcomes: readonly Outcome[]): WindowCounts {
  const c: WindowCounts = { successes: 0, conflicts: 0, failedUpdates: 0, failedReads: 0 };
  for (const o of outcomes) {
    if (o.kind === 'success') c.successes++;
    else if (o.kind === 'conflict') c.conflicts++;
    else if (o.phase === 'update') c.failedUpdates++;
    else c.failedReads++;
  }
  return c;
}

/**
 * The longest time without a successful update in [from, to]: the gaps between consecutive
 * completions of successful updates, counting from `from` to the first one and from the last
 * one to `to`. With no success at all in the window, the whole window.
 */
export function longestPause(outcomes: readonly Outcome[], from: number, to: number): number {
  const done = outcomes
    .filter((o) => o.kind === 'success' && o.doneAt >= from && o.doneAt <= to)
    .map((o) => o.doneAt)
    .sort((a, b) => a - b);
  let prev = from;
  let longest = 0;
  for (const t of done) {
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, to - prev);
}
