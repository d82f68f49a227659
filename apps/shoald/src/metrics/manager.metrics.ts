import { type Logger } from '@shoal/common';
import {
  RaftMetrics,
  type RaftStatusSource,
  type Registry,
  type StoreCountSource,
  StoreMetricsCollector,
} from '@shoal/metrics';

/**
 * A manager's own series (shoal_raft_*, shoal_store_*), registered for as long as one
 * ManagerNode runs: made before its store and driver (which take the hooks), attached once
 * they exist, unregistered when it stops, whether because the daemon stops, the node leaves
 * or is demoted. A later promotion registers a fresh set.
 */
export class ManagerMetrics {
  readonly raft: RaftMetrics;
  readonly store: StoreMetricsCollector;

  constructor(registry: Registry, logger: Logger) {
    const log = logger.child({ component: 'metrics' });
    const onCollectError = (metric: string, err: unknown) =>
      log.warn('a metric could not be collected', { metric, err: (err as Error).message });
    this.raft = new RaftMetrics(registry, { onCollectError });
    try {
      this.store = new StoreMetricsCollector(registry, { onCollectError });
    } catch (err) {
      this.raft.unregister();
      throw err;
    }
  }

  attach(driver: RaftStatusSource, store: StoreCountSource): void {
    this.raft.attach(driver);
    this.store.attach(store);
  }

  unregister(): void {
    this.raft.unregister();
    this.store.unregister();
  }
}
