import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Metric,
  type Registry,
} from 'prom-client';

/** Told when a collect function throws; the scrape goes on without that metric's series. */
export type CollectErrorHandler = (metric: string, err: unknown) => void;

/**
 * Metrics that live and die together on a registry: a manager's Raft and store series, the
 * leader's, an agent's. unregister() takes them all off again, so a node that stops being a
 * manager (or leader) exports no stale series, and registering the group anew after a
 * re-promotion finds the names free.
 *
 * A collect function that throws does not fail the scrape; the error goes to onCollectError.
 * A gauge then reports no series this time (its values are made at scrape time, and may be
 * half-updated); a counter or histogram keeps its values, since they were accumulated as
 * things happened and clearing them would read as a reset to Prometheus.
 */
export class MetricGroup {
  private readonly metrics: { name: string; metric: Metric }[] = [];

  constructor(
    readonly registry: Registry,
    private readonly onCollectError: CollectErrorHandler = () => undefined,
  ) {}

  gauge<T extends string>(config: GaugeConfiguration<T>): Gauge<T> {
    const collect = guard<Gauge<T>>(config, this.onCollectError, true);
    return this.add(config.name, new Gauge<T>({ ...config, collect, registers: [this.registry] }));
  }

  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    const collect = guard<Counter<T>>(config, this.onCollectError, false);
    return this.add(
      config.name,
      new Counter<T>({ ...config, collect, registers: [this.registry] }),
    );
  }

  histogram<T extends string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    const collect = guard<Histogram<T>>(config, this.onCollectError, false);
    return this.add(
      config.name,
      new Histogram<T>({ ...config, collect, registers: [this.registry] }),
    );
  }

  /** Removes every metric of the group from the registry. Idempotent. */
  unregister(): void {
    for (const { name, metric } of this.metrics.splice(0)) {
      // Only our own object: never take down a same-named metric someone else registered.
      if (this.registry.getSingleMetric(name) === metric) this.registry.removeSingleMetric(name);
    }
  }

  private add<M extends Metric>(name: string, metric: M): M {
    this.metrics.push({ name, metric });
    return metric;
  }
}

/** What every metric kind offers that a failed collect needs to clear its series. */
interface Clearable {
  reset(): void;
  remove(...values: string[]): void;
}

/** The config's collect, made unable to fail the scrape (see MetricGroup). */
function guard<M extends Clearable>(
  config: {
    name: string;
    labelNames?: readonly string[];
    collect?: (this: M) => void | Promise<void>;
  },
  onError: CollectErrorHandler,
  clearOnError: boolean,
): ((this: M) => void | Promise<void>) | undefined {
  const collect = config.collect;
  if (!collect) return undefined;
  return function (this: M): void | Promise<void> {
    const drop = (err: unknown) => {
      if (clearOnError) {
        // Whatever the collect had set may be half-updated: better no series than wrong ones.
        this.reset();
        if ((config.labelNames ?? []).length === 0) this.remove();
      }
      onError(config.name, err);
    };
    try {
      const done = collect.call(this);
      return done instanceof Promise ? done.catch(drop) : undefined;
    } catch (err) {
      drop(err);
    }
  };
}
