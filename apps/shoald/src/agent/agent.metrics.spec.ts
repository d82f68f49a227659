import { type Task } from '@shoal/api';
import { ManualClock, nullLogger } from '@shoal/common';
import {
  type AgentSessionMessage,
  type AssignmentMessage,
  type DispatcherApi,
  type StreamHandlers,
} from '@shoal/dispatcher';
import { ManualTimers } from '@shoal/dispatcher/testing/manual.timers';
import { type TaskStatsResult } from '@shoal/exec';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { AgentMetrics } from '@shoal/metrics';
import { parseExposition, samplesOf, valueOf } from '@shoal/metrics/registry.testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Agent } from './agent';
import { MemoryAgentState } from './agent-state.store';

/** A dispatcher that opens every session and lets the test push assignments. */
class PushingManager implements DispatcherApi {
  private push?: (msg: AssignmentMessage) => void;
  private sequence = 0;
  session(_d: string, h: StreamHandlers<AgentSessionMessage>) {
    h.message({ sessionId: 's1', heartbeatPeriodMs: 60_000 });
    return { cancel: () => undefined };
  }
  heartbeat(): Promise<number> {
    return Promise.resolve(60_000);
  }
  assignments(_s: string, h: StreamHandlers<AssignmentMessage>) {
    this.push = (msg) => h.message(msg);
    return { cancel: () => undefined };
  }
  assign(tasks: Task[]): void {
    this.sequence++;
    this.push!({
      type: 'complete',
      sequence: this.sequence,
      appliesTo: 0,
      updated: tasks,
      removed: [],
    });
  }
  updateTaskStatus(): Promise<void> {
    return Promise.resolve();
  }
  publishLogs(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

/** The recording engine, with CPU that grows by one second per running task per sample. */
class MeasuredExecutor extends RecordingExecutor {
  private readonly cpu = new Map<string, number>();
  stats(tasks: readonly Task[]): Promise<TaskStatsResult> {
    const result: TaskStatsResult = { stats: new Map(), errors: [] };
    for (const t of tasks) {
      if (!this.controllerFor(t.ID!)?.isRunning) continue;
      const cpu = (this.cpu.get(t.ID!) ?? 0) + 1;
      this.cpu.set(t.ID!, cpu);
      result.stats.set(t.ID!, { cpuSeconds: cpu, memoryBytes: 4096 });
    }
    return Promise.resolve(result);
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

function task(id: string, desired: Task['DesiredState'] = 'running'): Task {
  return {
    ID: id,
    ServiceID: 'svc1',
    Slot: Number(id.slice(1)),
    DesiredState: desired,
    NodeID: 'n1',
    Spec: { ContainerSpec: { Image: 'busybox', StopGracePeriod: 1e9 } },
  };
}

describe('Agent metrics', () => {
  it('registers into the given registry and follows tasks as they start and stop', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const agentMetrics = new AgentMetrics(registry, { clock, statsMaxAgeMs: 0 });
    const timers = new ManualTimers(clock);
    const manager = new PushingManager();
    const executor = new MeasuredExecutor();
    const agent = new Agent({
      executor,
      state: new MemoryAgentState(),
      connect: () => manager,
      managers: ['m1:7377'],
      describe: () => Promise.resolve({}),
      clock,
      random: () => 0.5,
      timers,
      logger: nullLogger,
      metrics: { agent: agentMetrics, executorName: 'process' },
    });
    const scrape = async () => parseExposition(await registry.metrics());
    await agent.start();
    await timers.advance(0);

    manager.assign([task('t1'), task('t2')]);
    await settle();
    let samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(2);
    expect(samplesOf(samples, 'shoal_task_cpu_seconds_total').map((s) => s.labels.task_id)).toEqual(
      ['t1', 't2'],
    );
    expect(valueOf(samples, 'shoal_task_memory_bytes', { task_id: 't2', slot: '2' })).toBe(4096);
    // The agent's executor calls went through the timing decorator.
    for (const operation of ['prepare', 'start']) {
      expect(
        valueOf(samples, 'shoal_executor_operation_duration_seconds_count', {
          executor: 'process',
          operation,
          outcome: 'ok',
        }),
      ).toBe(2);
    }

    manager.assign([task('t1'), task('t2', 'shutdown')]);
    await settle();
    samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(1);
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'shutdown' })).toBe(1);
    expect(samplesOf(samples, 'shoal_task_cpu_seconds_total').map((s) => s.labels.task_id)).toEqual(
      ['t1'],
    );
    expect(valueOf(samples, 'shoal_task_cpu_seconds_total', { task_id: 't1' })).toBe(2);
    expect(
      valueOf(samples, 'shoal_executor_operation_duration_seconds_count', {
        operation: 'shutdown',
        outcome: 'ok',
      }),
    ).toBe(1);

    // A stopped agent leaves its tasks running for the next one, but no longer reports them.
    await agent.stop();
    samples = await scrape();
    expect(valueOf(samples, 'shoal_agent_tasks', { state: 'running' })).toBe(0);
    expect(samplesOf(samples, 'shoal_task_memory_bytes')).toEqual([]);
  });
});
