/**
 * What the driver reports for monitoring. Durations are in seconds, measured with the
 * monotonic clock. The driver calls these on its hot path, so implementations must be cheap;
 * when none is given the driver skips the timing altogether.
 */
export interface RaftDriverMetrics {
  /** A proposal made on this node was applied here, `seconds` after propose() was called. */
  proposalApplied(seconds: number): void;
  /** (leader) An entry this node appended was known committed `seconds` after it was appended. */
  committed(seconds: number): void;
  /** One WAL write that asked for durability, fsync included (one group commit). */
  walSynced(seconds: number): void;
  /** This node wrote a snapshot of `bytes`, from capturing the state to the file being durable. */
  snapshotWritten(bytes: number, seconds: number): void;
  /** This node installed a snapshot of `bytes` sent by the leader. */
  snapshotInstalled(bytes: number): void;
}
