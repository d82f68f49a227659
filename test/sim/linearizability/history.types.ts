/**
 * The vocabulary shared by the linearizability checker, its models and whoever records a
 * history (the simulator's clients, the tests).
 *
 * Times are plain numbers on whatever clock the recorder uses; only their order matters. Two
 * operations whose intervals merely touch (one returns at t, the other is invoked at t) are
 * treated as concurrent: a recorder that cannot tell which happened first must not make the
 * checker reject a history on a tie.
 */

/**
 * The output of an operation whose outcome nobody observed: the call timed out, the client
 * crashed, the connection dropped. The operation may or may not have taken effect.
 */
export const UNKNOWN: unique symbol = Symbol('unknown-outcome');
export type Unknown = typeof UNKNOWN;

interface OperationBase<I> {
  clientId: number;
  input: I;
  /** When the client invoked the operation. */
  call: number;
}

export interface CompletedOperation<I, O> extends OperationBase<I> {
  status: 'ok';
  output: O;
  /** When the client learned the output; must not be before `call`. */
  return: number;
}

/**
 * An operation with no observed response. It may be linearized anywhere after `call`, or not
 * at all — the checker never requires it to have happened.
 */
export interface PendingOperation<I> extends OperationBase<I> {
  status: 'unknown';
}

export type Operation<I, O> = CompletedOperation<I, O> | PendingOperation<I>;
export type History<I, O> = Operation<I, O>[];

export interface StepResult<S> {
  ok: boolean;
  newState: S;
}

/**
 * A sequential specification. States are treated as immutable values: `step` must return a
 * fresh state (or the same one when nothing changed), never mutate its argument, because the
 * search keeps old states on its backtracking stack and in its memo table.
 */
export interface Model<S, I, O> {
  init(): S;
  /**
   * Applies `input` to `state` and says whether `output` is what a sequential object would
   * have answered. With `UNKNOWN` as the output any answer is acceptable, so `ok` should only
   * be false when the operation is impossible in `state` at all.
   */
  step(state: S, input: I, output: O | Unknown): StepResult<S>;
  equal(a: S, b: S): boolean;
  /** Must agree with `equal`: equal states hash equally. Collisions are allowed. */
  hash(state: S): string;
  /**
   * P-compositionality (Herlihy & Wing): if the object is a product of independent objects
   * (a KV map is a product of registers, one per key), each part can be checked on its own,
   * which turns one exponential search into many small ones. Returns labelled sub-histories.
   */
  partition?(history: History<I, O>): { label: string; history: History<I, O> }[];
  /**
   * Operations that never change the state. A pending one can be dropped before the search:
   * with its output unknown, linearizing it can neither satisfy nor break anything.
   */
  isReadOnly?(input: I): boolean;
  describe?(input: I, output: O | Unknown): string;
  describeState?(state: S): string;
}
