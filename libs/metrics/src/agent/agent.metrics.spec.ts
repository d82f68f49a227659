import { type Task } from '@shoal/api';
import { ManualClock } from '@shoal/common';
import { type TaskStats, type TaskStatsResult } from '@shoal/exec';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, samplesOf, valueOf } from '../registry.testing';
import { type AgentTaskView, AgentMetrics, type AgentMetricsSource } from './agent.metrics';

const CPU = 'shoal_task_cpu_seconds_total';
const MEM = 'shoal_task_memory_bytes';

function task(id: string, extra: Partial<Task> & { ServiceAnnotations?: { Name: string } } = {}) {
  return { ID: id, ServiceID: 'svc1', Slot: 1, ServiceAnnotations: { Name: 'web' }, ...extra };
}

/** An engine whose figures the test sets; records which tasks each stats() call asked for. */
class FakeEngine {
  readonly usage = new Map<string, TaskStats>();
  readonly failing = new Map<string, Error>();
  readonly asked: string[][] = [];
  /** When set, stats() never answers. */
  hang = false;

  /**
   * When set, only this many tasks are answered per call: the call then waits until it is
   * aborted and returns those, like DockerExecutor on a node with more containers than one
   * budget covers.
   */
  capacity?: number;
  /** Tasks whose sample never comes: the call waits on them until aborted. */
  readonly stuck = new Set<string>();

  stats = async (tasks: readonly Task[], signal?: AbortSignal): Promise<TaskStatsResult> => {
    this.asked.push(tasks.map((t) => t.ID!));
    if (this.hang) return new Promise(() => undefined);
    const result: TaskStatsResult = { stats: new Map(), errors: [] };
    const aborted = () =>
      new Promise<void>((resolve) =>
        signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve()),
      );
    for (const [i, t] of tasks.entries()) {
      if (i === this.capacity || this.stuck.has(t.ID!)) await aborted();
      if (signal?.aborted) break;
      const error = this.failing.get(t.ID!);
      if (error) result.errors.push({ taskId: t.ID!, error });
      const u = this.usage.get(t.ID!);
      if (u && !error) result.stats.set(t.ID!, u);
    }
    return result;
  };
}

function setup(opts: { budgetMs?: number } = {}) {
  const registry = new Registry();
  const clock = new ManualClock();
  const errors: [string, string][] = [];
  const metrics = new AgentMetrics(registry, {
    clock,
    durationClock: clock,
    statsBudgetMs: opts.budgetMs ?? 1_000,
    statsMaxAgeMs: 1_000,
    onStatsError: (id, e) => errors.push([id, e.message]),
  });
  const engine = new FakeEngine();
  let views: AgentTaskView[] = [];
  const source: AgentMetricsSource = { tasks: () => views, executor: engine };
  const setTasks = (v: AgentTaskView[]) => (views = v);
  const scrape = async () => {
    clock.advance(5_000); // a scrape interval: each scrape takes a fresh sample
    return parseExposition(await registry.metrics());
  };
  return { registry, clock, metrics, engine, source, setTasks, scrape, errors };
}

describe('AgentMetrics', () => {
  it("counts the agent's tasks by state, every state present, undefined as assigned", async () => {
    const { metrics, source, setTasks, scrape } = setup();
    let samples = await scrape();
    expect(samplesOf(samples, 'shoal_agent_tasks')).toHaveLength(10);
    expect(samplesOf(samples, 'shoal_agent_tasks').every((s) => s.value === 0)).toBe(true);
    metrics.attach(source);
    setTasks([
      { task: task('a'), state: 'running' },
      { task: task('b'), state: 'running' },
      { task: task('c'), state: 'failed' },
      { task: task('d') },
    ]);
    samples = await scrape();
    const count = (state: string) => valueOf(samples, 'shoal_agent_tasks', { state });
    expect([count('running'), count('failed'), count('assigned'), count('complete')]).toEqual([
      2, 1, 1, 0,
    ]);
  });

  it('exports CPU and memory per running task, labelled, and drops tasks that ended', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup();
    metrics.attach(source);
    engine.usage.set('a', { cpuSeconds: 1.5, memoryBytes: 1_000 });
    engine.usage.set('g', { cpuSeconds: 0.25, memoryBytes: 2_000 });
    engine.usage.set('done', { cpuSeconds: 9, memoryBytes: 9 });
    setTasks([
      { task: task('a', { Slot: 3 }), state: 'running' },
      { task: task('g', { Slot: undefined, ServiceID: 'svc2' }), state: 'starting' },
      { task: task('done'), state: 'complete' },
      { task: task('new'), state: 'preparing' },
    ]);
    let samples = await scrape();
    expect(engine.asked.at(-1)?.sort()).toEqual(['a', 'g']);
    expect(samplesOf(samples, CPU)).toEqual([
      {
        name: CPU,
        labels: { task_id: 'a', service_id: 'svc1', service_name: 'web', slot: '3' },
        value: 1.5,
      },
      {
        name: CPU,
        labels: { task_id: 'g', service_id: 'svc2', service_name: 'web', slot: '0' },
        value: 0.25,
      },
    ]);
    expect(valueOf(samples, MEM, { task_id: 'g' })).toBe(2_000);

    setTasks([{ task: task('a', { Slot: 3 }), state: 'shutdown' }]);
    samples = await scrape();
    expect(samplesOf(samples, CPU)).toEqual([]);
    expect(samplesOf(samples, MEM)).toEqual([]);
  });

  it('exports a task that has used no CPU yet as 0, not as one increment', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup();
    metrics.attach(source);
    engine.usage.set('a', { cpuSeconds: 0, memoryBytes: 10 });
    setTasks([{ task: task('a'), state: 'starting' }]);
    expect(valueOf(await scrape(), CPU, { task_id: 'a' })).toBe(0);
  });

  it('keeps CPU monotonic and a failed task at its last value, without failing the scrape', async () => {
    const { metrics, source, setTasks, scrape, engine, errors } = setup();
    metrics.attach(source);
    setTasks([
      { task: task('a'), state: 'running' },
      { task: task('b'), state: 'running' },
    ]);
    engine.usage.set('a', { cpuSeconds: 10, memoryBytes: 100 });
    engine.usage.set('b', { cpuSeconds: 1, memoryBytes: 50 });
    await scrape();
    engine.usage.set('a', { cpuSeconds: 7, memoryBytes: 80 }); // a process left its session
    engine.failing.set('b', new Error('engine hiccup'));
    const samples = await scrape();
    expect(valueOf(samples, CPU, { task_id: 'a' })).toBe(10);
    expect(valueOf(samples, MEM, { task_id: 'a' })).toBe(80);
    expect(valueOf(samples, CPU, { task_id: 'b' })).toBe(1);
    expect(valueOf(samples, MEM, { task_id: 'b' })).toBe(50);
    expect(errors).toEqual([['b', 'engine hiccup']]);
  });

  it('answers within its time budget when the engine does not', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup({ budgetMs: 50 });
    metrics.attach(source);
    setTasks([{ task: task('a'), state: 'running' }]);
    engine.usage.set('a', { cpuSeconds: 2, memoryBytes: 20 });
    await scrape();
    engine.hang = true;
    const t0 = performance.now();
    const samples = await scrape();
    expect(performance.now() - t0).toBeLessThan(1_000);
    // The last figures stand in while the engine is slow.
    expect(valueOf(samples, CPU, { task_id: 'a' })).toBe(2);
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(1);
  });

  it('keeps what the engine answered before the budget ran out', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup({ budgetMs: 30 });
    metrics.attach(source);
    setTasks(['a', 'b', 'c'].map((id) => ({ task: task(id), state: 'running' as const })));
    engine.usage.set('a', { cpuSeconds: 1, memoryBytes: 10 });
    engine.usage.set('b', { cpuSeconds: 2, memoryBytes: 20 });
    engine.usage.set('c', { cpuSeconds: 3, memoryBytes: 30 });
    engine.stuck.add('b');
    const samples = await scrape();
    expect(valueOf(samples, CPU, { task_id: 'a' })).toBe(1);
    expect(valueOf(samples, MEM, { task_id: 'a' })).toBe(10);
    // Asked after the stuck one, so never reached: no series yet rather than a made-up one.
    expect(samplesOf(samples, CPU).map((s) => s.labels.task_id)).toEqual(['a']);
  });

  it('refreshes every task in turn when one budget covers only some of them', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup({ budgetMs: 30 });
    metrics.attach(source);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    setTasks(ids.map((id) => ({ task: task(id), state: 'running' as const })));
    engine.capacity = 2;
    const cpuOf = (samples: Awaited<ReturnType<typeof scrape>>) =>
      Object.fromEntries(samplesOf(samples, CPU).map((s) => [s.labels.task_id, s.value]));
    for (const id of ids) engine.usage.set(id, { cpuSeconds: 1, memoryBytes: 1 });
    await scrape();
    await scrape();
    expect(Object.keys(cpuOf(await scrape())).sort()).toEqual(ids);
    expect(engine.asked.map((a) => a.slice(0, 2))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'a'],
    ]);
    // Every figure moves on within three scrapes, oldest first.
    for (const id of ids) engine.usage.set(id, { cpuSeconds: 5, memoryBytes: 1 });
    const seen = [cpuOf(await scrape()), cpuOf(await scrape()), cpuOf(await scrape())];
    expect(engine.asked.slice(3).map((a) => a.slice(0, 2))).toEqual([
      ['b', 'c'],
      ['d', 'a'], // a and e were sampled together: the listed order breaks the tie
      ['e', 'b'],
    ]);
    expect(seen[0]).toEqual({ a: 1, b: 5, c: 5, d: 1, e: 1 });
    expect(seen[2]).toEqual({ a: 5, b: 5, c: 5, d: 5, e: 5 });
  });

  it('samples once for the CPU and memory metrics and for scrapes close together', async () => {
    const { registry, metrics, source, setTasks, engine, clock } = setup();
    metrics.attach(source);
    setTasks([{ task: task('a'), state: 'running' }]);
    engine.usage.set('a', { cpuSeconds: 2, memoryBytes: 20 });
    await Promise.all([registry.metrics(), registry.metrics()]);
    expect(engine.asked).toHaveLength(1);
    clock.advance(500);
    await registry.metrics();
    expect(engine.asked).toHaveLength(1);
    clock.advance(600);
    await registry.metrics();
    expect(engine.asked).toHaveLength(2);
  });

  it('asks for the tasks sampled longest ago first', async () => {
    const { metrics, source, setTasks, scrape, engine } = setup();
    metrics.attach(source);
    engine.usage.set('a', { cpuSeconds: 1, memoryBytes: 1 });
    setTasks([{ task: task('a'), state: 'running' }]);
    await scrape();
    setTasks([
      { task: task('a'), state: 'running' },
      { task: task('b'), state: 'running' },
    ]);
    await scrape();
    expect(engine.asked.at(-1)).toEqual(['b', 'a']);
  });

  it('times executor calls by executor, operation and outcome', async () => {
    const { registry, metrics, clock } = setup();
    const inner = new RecordingExecutor().script('a', { prepare: 'hold' });
    const executor = metrics.instrument(inner, 'docker');
    const c = executor.controller(task('a'));
    const prepared = c.prepare();
    clock.advance(300);
    inner.controllerFor('a')!.release('prepare', 'pull failed');
    await expect(prepared).rejects.toThrow('pull failed');
    const samples = parseExposition(await registry.metrics());
    const labels = { executor: 'docker', operation: 'prepare', outcome: 'error' };
    expect(valueOf(samples, 'shoal_executor_operation_duration_seconds_count', labels)).toBe(1);
    expect(valueOf(samples, 'shoal_executor_operation_duration_seconds_sum', labels)).toBe(0.3);
    const bucket = (le: string) =>
      valueOf(samples, 'shoal_executor_operation_duration_seconds_bucket', { ...labels, le });
    expect([bucket('0.25'), bucket('0.5')]).toEqual([0, 1]);
  });

  it('follows the attached agent only; detaching an older one changes nothing', async () => {
    const { metrics, source, setTasks, scrape } = setup();
    const other: AgentMetricsSource = { tasks: () => [], executor: {} };
    metrics.attach(source);
    setTasks([{ task: task('a'), state: 'running' }]);
    metrics.attach(other);
    metrics.detach(source);
    let samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(0);
    metrics.attach(source);
    samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(1);
    metrics.detach(source);
    samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(0);
  });
});
