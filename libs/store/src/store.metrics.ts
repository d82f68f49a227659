/** How a write transaction ended: applied, or refused / failed / of unknown outcome. */
export type TransactionOutcome = 'committed' | 'failed';

/**
 * Monitoring hooks of the store. The store is pure and reads no clock for them: the token
 * transactionStarted() returns is opaque to it and only handed back, so the implementation
 * (in libs/metrics) times transactions with a monotonic clock of its own.
 */
export interface StoreMetrics {
  /** A write transaction begins (before its callback runs). */
  transactionStarted(): number;
  /**
   * It ended: applied here, or it threw (in its callback, at proposal or at apply time).
   * Not called for transactions that wrote nothing: nothing was proposed.
   */
  transactionEnded(started: number, outcome: TransactionOutcome): void;
}
