import { type Kind, KINDS, type StoreMetrics, type TransactionOutcome } from '@shoal/store';
import { type CollectErrorHandler, MetricGroup } from '../registry.group';
import { type Registry } from '../registry';

/** What the store collectors read: the MemoryStore, or anything that counts like it. */
export interface StoreCountSource {
  count(kind: Kind): number;
}

const TRANSACTION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The shoal_store_* series of one manager's store. Object counts are read at scrape time
 * (the tables keep their sizes, so a scrape costs one lookup per kind however large the
 * store); transaction latencies come through the store's StoreMetrics hooks.
 *
 * The store is pure and reads no clock for these: transactionStarted() hands it a
 * performance.now() reading as an opaque token and transactionEnded() gets it back. The
 * store's own Clock would not do: it is wall-clock milliseconds (too coarse for sub-ms
 * transactions, and it jumps when the system time is set) and a ManualClock in tests.
 */
export class StoreMetricsCollector implements StoreMetrics {
  private readonly group: MetricGroup;
  private source?: StoreCountSource;
  private readonly duration;

  constructor(registry: Registry, opts: { onCollectError?: CollectErrorHandler } = {}) {
    this.group = new MetricGroup(registry, opts.onCollectError);
    const source = () => this.source;
    try {
      this.group.gauge({
        name: 'shoal_store_objects',
        help: "Objects in this manager's store, by kind.",
        labelNames: ['kind'],
        collect() {
          const store = source();
          if (!store) return this.reset();
          for (const kind of KINDS) this.set({ kind }, store.count(kind));
        },
      });
      this.duration = this.group.histogram({
        name: 'shoal_store_transaction_duration_seconds',
        help: 'A store write transaction, from its start until applied here (or failed).',
        labelNames: ['outcome'],
        buckets: TRANSACTION_BUCKETS,
      });
      // Both outcomes from the start, so rate() and ratios work before the first failure.
      for (const outcome of ['committed', 'failed'] as const) this.duration.zero({ outcome });
    } catch (err) {
      this.group.unregister();
      throw err;
    }
  }

  /** Starts reading object counts from the store (it is built with these hooks). */
  attach(source: StoreCountSource): void {
    this.source = source;
  }

  /** Takes every shoal_store_* series off the registry. */
  unregister(): void {
    this.source = undefined;
    this.group.unregister();
  }

  transactionStarted(): number {
    return performance.now();
  }

  transactionEnded(started: number, outcome: TransactionOutcome): void {
    this.duration.observe({ outcome }, (performance.now() - started) / 1000);
  }
}
