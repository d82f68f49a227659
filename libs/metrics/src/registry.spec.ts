import { describe, expect, it } from 'vitest';
import { createDaemonRegistry, type NodeInfo } from './registry';
import { MetricGroup } from './registry.group';
import { parseExposition, samplesOf, valueOf } from './registry.testing';

const scrape = async (r: { metrics(): Promise<string> }) => parseExposition(await r.metrics());

describe('createDaemonRegistry', () => {
  it('exports the default Node.js metrics and the build, but no node info outside a swarm', async () => {
    const samples = await scrape(createDaemonRegistry({ version: '1.2.3' }));
    expect(valueOf(samples, 'shoal_build_info', { version: '1.2.3' })).toBe(1);
    // prom-client counts CPU from the registry's creation, and the kernel accounts CPU time in
    // scheduler ticks: a scrape right after creation may honestly read 0.
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samplesOf(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(samplesOf(samples, 'nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
    expect(samplesOf(samples, 'shoal_node_info')).toEqual([]);
  });

  it('keeps daemons in one process apart (never the global registry)', async () => {
    const a = createDaemonRegistry({
      version: 'a',
      nodeInfo: () => ({ nodeId: 'n1', role: 'manager' }),
    });
    const b = createDaemonRegistry({ version: 'b', nodeInfo: () => undefined });
    const sa = await scrape(a);
    const sb = await scrape(b);
    expect(samplesOf(sa, 'shoal_build_info').map((s) => s.labels)).toEqual([{ version: 'a' }]);
    expect(samplesOf(sb, 'shoal_build_info').map((s) => s.labels)).toEqual([{ version: 'b' }]);
    expect(samplesOf(sa, 'shoal_node_info')).toHaveLength(1);
    expect(samplesOf(sb, 'shoal_node_info')).toEqual([]);
  });

  it('node info is read at each scrape: one series that follows the role, then none', async () => {
    let info: NodeInfo | undefined = { nodeId: 'n1', role: 'worker' };
    const r = createDaemonRegistry({ version: 'v', nodeInfo: () => info });
    expect(samplesOf(await scrape(r), 'shoal_node_info')).toEqual([
      { name: 'shoal_node_info', labels: { node_id: 'n1', role: 'worker' }, value: 1 },
    ]);
    info = { nodeId: 'n1', role: 'manager' };
    expect(samplesOf(await scrape(r), 'shoal_node_info')).toEqual([
      { name: 'shoal_node_info', labels: { node_id: 'n1', role: 'manager' }, value: 1 },
    ]);
    info = undefined;
    expect(samplesOf(await scrape(r), 'shoal_node_info')).toEqual([]);
  });
});

describe('MetricGroup', () => {
  it('unregisters all its metrics, and the names can be registered again', async () => {
    const r = createDaemonRegistry({ version: 'v' });
    const make = () => {
      const g = new MetricGroup(r);
      g.gauge({ name: 'shoal_test_gauge', help: 'h' }).set(4);
      g.counter({ name: 'shoal_test_total', help: 'h' }).inc();
      g.histogram({ name: 'shoal_test_seconds', help: 'h', buckets: [1] }).observe(0.5);
      return g;
    };
    const first = make();
    expect(valueOf(await scrape(r), 'shoal_test_gauge')).toBe(4);
    // A second group of the same names is refused while the first is registered...
    expect(() => make()).toThrow(/already been registered/);
    first.unregister();
    first.unregister();
    const after = await scrape(r);
    expect(after.filter((s) => s.name.startsWith('shoal_test'))).toEqual([]);
    expect(valueOf(after, 'shoal_build_info', { version: 'v' })).toBe(1);
    // ...and accepted once it is gone, starting from zero.
    const second = make();
    const again = await scrape(r);
    expect(valueOf(again, 'shoal_test_total')).toBe(1);
    expect(valueOf(again, 'shoal_test_seconds_count')).toBe(1);
    second.unregister();
  });

  it('does not take down a same-named metric registered by someone else', async () => {
    const r = createDaemonRegistry({ version: 'v' });
    const g = new MetricGroup(r);
    g.gauge({ name: 'shoal_test_gauge', help: 'h' });
    r.removeSingleMetric('shoal_test_gauge');
    new MetricGroup(r).gauge({ name: 'shoal_test_gauge', help: 'h' }).set(7);
    g.unregister();
    expect(valueOf(await scrape(r), 'shoal_test_gauge')).toBe(7);
  });

  it('a throwing collect drops only its own series and reports the error', async () => {
    const r = createDaemonRegistry({ version: 'v' });
    const errors: string[] = [];
    const g = new MetricGroup(r, (name, err) => errors.push(`${name}: ${(err as Error).message}`));
    let fail = false;
    g.gauge({
      name: 'shoal_test_flaky',
      help: 'h',
      collect() {
        if (fail) throw new Error('broken');
        this.set(3);
      },
    });
    g.gauge({
      name: 'shoal_test_flaky_labelled',
      help: 'h',
      labelNames: ['k'],
      async collect() {
        this.set({ k: 'a' }, 1);
        if (fail) throw new Error('async broken');
      },
    });
    g.gauge({ name: 'shoal_test_fine', help: 'h', collect: () => undefined }).set(2);
    let samples = await scrape(r);
    expect(valueOf(samples, 'shoal_test_flaky')).toBe(3);
    expect(valueOf(samples, 'shoal_test_flaky_labelled', { k: 'a' })).toBe(1);
    fail = true;
    samples = await scrape(r);
    expect(samplesOf(samples, 'shoal_test_flaky')).toEqual([]);
    expect(samplesOf(samples, 'shoal_test_flaky_labelled')).toEqual([]);
    expect(valueOf(samples, 'shoal_test_fine')).toBe(2);
    expect(valueOf(samples, 'shoal_build_info', { version: 'v' })).toBe(1);
    expect(errors).toEqual(['shoal_test_flaky: broken', 'shoal_test_flaky_labelled: async broken']);
  });

  it("a counter's or histogram's throwing collect keeps its accumulated values", async () => {
    // Counters and histograms are fed as things happen (inc, observe); their collect at most
    // prunes. Clearing them on a failed collect would read as a counter reset to Prometheus.
    const r = createDaemonRegistry({ version: 'v' });
    const errors: string[] = [];
    const g = new MetricGroup(r, (name, err) => errors.push(`${name}: ${(err as Error).message}`));
    let fail = false;
    const counter = g.counter({
      name: 'shoal_test_flaky_total',
      help: 'h',
      labelNames: ['k'],
      collect() {
        if (fail) throw new Error('counter broken');
      },
    });
    g.counter({
      name: 'shoal_test_flaky_unlabelled_total',
      help: 'h',
      async collect() {
        if (fail) throw new Error('async counter broken');
      },
    }).inc(2);
    const histogram = g.histogram({
      name: 'shoal_test_flaky_seconds',
      help: 'h',
      buckets: [1],
      collect() {
        if (fail) throw new Error('histogram broken');
      },
    });
    counter.inc({ k: 'a' }, 7);
    histogram.observe(0.5);
    histogram.observe(2);
    let samples = await scrape(r);
    expect(valueOf(samples, 'shoal_test_flaky_total', { k: 'a' })).toBe(7);
    fail = true;
    samples = await scrape(r);
    expect(valueOf(samples, 'shoal_test_flaky_total', { k: 'a' })).toBe(7);
    expect(valueOf(samples, 'shoal_test_flaky_unlabelled_total')).toBe(2);
    expect(valueOf(samples, 'shoal_test_flaky_seconds_count')).toBe(2);
    // Sorted: an async collect's failure is reported after the synchronous ones.
    expect(errors.sort()).toEqual([
      'shoal_test_flaky_seconds: histogram broken',
      'shoal_test_flaky_total: counter broken',
      'shoal_test_flaky_unlabelled_total: async counter broken',
    ]);
    // Once the collect works again the series go on from where they were.
    fail = false;
    counter.inc({ k: 'a' });
    samples = await scrape(r);
    expect(valueOf(samples, 'shoal_test_flaky_total', { k: 'a' })).toBe(8);
    expect(valueOf(samples, 'shoal_test_flaky_seconds_count')).toBe(2);
  });
});

describe('parseExposition', () => {
  it('reads names, escaped label values and special values', () => {
    const text = [
      '# HELP x h',
      'x{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 1.5',
      'y +Inf',
      'z{le="+Inf"} 3 1700000000',
    ].join('\n');
    expect(parseExposition(text)).toEqual([
      { name: 'x', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: 1.5 },
      { name: 'y', labels: {}, value: Infinity },
      { name: 'z', labels: { le: '+Inf' }, value: 3 },
    ]);
  });
});
