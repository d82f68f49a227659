import { Bitset } from './bitset.util';
import { type History, type Model, type Operation, UNKNOWN } from './history.types';

/**
 * Linearizability checking by the Wing–Gong backtracking search with Lowe's memoization, in
 * the shape Porcupine popularised:
 *
 *  - the history becomes a time-ordered doubly linked list of call and return events;
 *  - walking from the head, any call seen before the first return could be the next
 *    operation to take effect; we try it against the model, and if the model accepts we
 *    "lift" it (and its return) out of the list and start again from the head;
 *  - reaching a return means its operation had to take effect already, so we backtrack;
 *  - a (set of linearized operations, model state) pair reached before leads to the same
 *    sub-search, so it is remembered and never explored twice (Lowe). Without this the search
 *    is factorial in the concurrency; with it, it is bounded by subsets × states.
 *
 * Pending operations (unknown outcome) have a call and no return: nothing ever forces them,
 * so the search may take them at any point after their call or leave them out, which is
 * exactly their semantics. The search succeeds once every COMPLETED operation is linearized.
 */

export interface CheckOptions {
  /** Search steps allowed per partition before giving up with `unknown`. */
  maxSteps?: number;
  /** Wall-clock budget for the whole check; needs `now`. Exceeding it yields `unknown`. */
  timeoutMs?: number;
  /** Milliseconds clock for `timeoutMs`; injected so the checker itself stays clock-free. */
  now?: () => number;
}

export type CheckOutcome = 'ok' | 'illegal' | 'unknown';

export interface CheckResult {
  outcome: CheckOutcome;
  /** Total search steps across partitions. */
  steps: number;
  partitions: number;
  /** Set for `illegal` (what cannot be ordered) and `unknown` (which budget ran out). */
  explanation?: string;
}

export const DEFAULT_MAX_STEPS = 2_000_000;

interface Event {
  kind: 'call' | 'return';
  op: number;
  time: number;
  prev: Event | null;
  next: Event | null;
  /** call → its return (null when pending); return → its call. */
  match: Event | null;
}

type PartitionResult =
  | { outcome: 'ok'; steps: number }
  | { outcome: 'illegal'; steps: number; explanation: string }
  | { outcome: 'unknown'; steps: number; explanation: string };

export function checkHistory<S, I, O>(
  model: Model<S, I, O>,
  history: History<I, O>,
  options: CheckOptions = {},
): CheckResult {
  for (const op of history) {
    if (op.status === 'ok' && op.return < op.call) {
      throw new RangeError(`operation returns (${op.return}) before it is called (${op.call})`);
    }
  }
  const parts = model.partition ? model.partition(history) : [{ label: 'history', history }];
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const deadline =
    options.timeoutMs !== undefined && options.now ? options.now() + options.timeoutMs : undefined;
  const outOfTime = deadline !== undefined ? () => options.now!() > deadline : () => false;

  let steps = 0;
  let unknown: string | undefined;
  for (const part of parts) {
    const r = checkPartition(model, part.label, part.history, maxSteps, outOfTime);
    steps += r.steps;
    // One illegal partition settles the verdict, even if another one ran out of budget.
    if (r.outcome === 'illegal') {
      return { outcome: 'illegal', steps, partitions: parts.length, explanation: r.explanation };
    }
    if (r.outcome === 'unknown') unknown ??= r.explanation;
  }
  return unknown !== undefined
    ? { outcome: 'unknown', steps, partitions: parts.length, explanation: unknown }
    : { outcome: 'ok', steps, partitions: parts.length };
}

function buildEvents<I, O>(ops: Operation<I, O>[]): Event {
  const events: Event[] = [];
  ops.forEach((op, i) => {
    const call: Event = { kind: 'call', op: i, time: op.call, prev: null, next: null, match: null };
    events.push(call);
    if (op.status === 'ok') {
      const ret: Event = {
        kind: 'return',
        op: i,
        time: op.return,
        prev: null,
        next: null,
        match: call,
      };
      call.match = ret;
      events.push(ret);
    }
  });
  // Calls before returns on a tie: touching intervals count as concurrent (see history.types).
  events.sort(
    (a, b) => a.time - b.time || (a.kind === b.kind ? a.op - b.op : a.kind === 'call' ? -1 : 1),
  );
  const head: Event = {
    kind: 'call',
    op: -1,
    time: -Infinity,
    prev: null,
    next: null,
    match: null,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function unlink(e: Event): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Event): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

function lift(call: Event): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

// Dancing-links restore: exact reverse of lift, valid because lifts are undone LIFO.
function unlift(call: Event): void {
  if (call.match) relink(call.match);
  relink(call);
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  label: string,
  history: History<I, O>,
  maxSteps: number,
  outOfTime: () => boolean,
): PartitionResult {
  const ops = model.isReadOnly
    ? history.filter((op) => op.status === 'ok' || !model.isReadOnly!(op.input))
    : history;
  const head = buildEvents(ops);
  const linearized = new Bitset(ops.length);
  const memo = new Map<string, S[]>();
  const stack: { call: Event; state: S }[] = [];
  let state = model.init();
  let remaining = ops.filter((op) => op.status === 'ok').length;
  let entry = head.next;
  let steps = 0;
  let deepest: { prefix: number[]; state: S } = { prefix: [], state };

  // Returns false when (linearized, s) was seen before: that subtree is already refuted.
  const remember = (s: S): boolean => {
    const key = `${linearized.key()}|${model.hash(s)}`;
    const seen = memo.get(key);
    if (!seen) {
      memo.set(key, [s]);
      return true;
    }
    if (seen.some((t) => model.equal(t, s))) return false;
    seen.push(s);
    return true;
  };

  while (remaining > 0) {
    steps++;
    if (steps > maxSteps || ((steps & 1023) === 0 && outOfTime())) {
      const why = steps > maxSteps ? `${maxSteps} search steps` : 'the time budget';
      return {
        outcome: 'unknown',
        steps,
        explanation: `${label}: gave up after ${why} (${ops.length} operations); no verdict`,
      };
    }
    if (entry === null) throw new Error('linearizability search ran past the end of the history');

    if (entry.kind === 'call') {
      const op = ops[entry.op];
      const r = model.step(state, op.input, op.status === 'ok' ? op.output : UNKNOWN);
      if (r.ok) {
        linearized.set(entry.op);
        if (remember(r.newState)) {
          stack.push({ call: entry, state });
          state = r.newState;
          if (op.status === 'ok') remaining--;
          lift(entry);
          if (stack.length > deepest.prefix.length) {
            deepest = { prefix: stack.map((f) => f.call.op), state };
          }
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
    } else {
      // A return: its operation must already have taken effect, and it has not. Undo the
      // most recent choice and try the next candidate after it.
      const top = stack.pop();
      if (!top) {
        return { outcome: 'illegal', steps, explanation: explain(model, label, ops, deepest) };
      }
      state = top.state;
      linearized.clear(top.call.op);
      if (ops[top.call.op].status === 'ok') remaining++;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { outcome: 'ok', steps };
}

const MAX_SHOWN = 6;

/**
 * Reports the furthest the search got: the tail of the longest linearizable prefix, the
 * state it leaves, and the operations that were candidates to go next — none of which fits.
 * The "blocking" operation is the unplaced one that returns first: it had to be placed
 * before its return and could not be.
 */
function explain<S, I, O>(
  model: Model<S, I, O>,
  label: string,
  ops: Operation<I, O>[],
  deepest: { prefix: number[]; state: S },
): string {
  const describe = (i: number): string => {
    const op = ops[i];
    const text = model.describe
      ? model.describe(op.input, op.status === 'ok' ? op.output : UNKNOWN)
      : JSON.stringify(op.input);
    const end = op.status === 'ok' ? String(op.return) : '?';
    return `${text} [client ${op.clientId}, ${op.call}..${end}]`;
  };
  const placed = new Set(deepest.prefix);
  let blocking = -1;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (placed.has(i) || op.status !== 'ok') continue;
    if (blocking < 0 || op.return < (ops[blocking] as { return: number }).return) blocking = i;
  }
  const deadline = blocking >= 0 ? (ops[blocking] as { return: number }).return : Infinity;
  const candidates = ops
    .map((op, i) => ({ op, i }))
    .filter(({ op, i }) => !placed.has(i) && i !== blocking && op.call <= deadline)
    .map(({ i }) => i);

  const lines = [`${label}: not linearizable.`];
  const tail = deepest.prefix.slice(-MAX_SHOWN);
  const skipped = deepest.prefix.length - tail.length;
  lines.push(
    `  longest linearizable prefix: ${deepest.prefix.length} of ${ops.length} operations` +
      (tail.length ? `, ending ${skipped ? '… → ' : ''}${tail.map(describe).join(' → ')}` : ''),
  );
  lines.push(
    `  state after it: ${model.describeState ? model.describeState(deepest.state) : model.hash(deepest.state)}`,
  );
  if (blocking >= 0) {
    lines.push(`  cannot be ordered: ${describe(blocking)} must take effect by ${deadline}`);
  }
  const shown = candidates.slice(0, MAX_SHOWN);
  if (shown.length) {
    const more = candidates.length > shown.length ? ` (+${candidates.length - shown.length})` : '';
    lines.push(`  nor can any concurrent candidate: ${shown.map(describe).join('; ')}${more}`);
  }
  return lines.join('\n');
}
