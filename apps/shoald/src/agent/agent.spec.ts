import { type TaskStatus } from '@shoal/api';
import { ManualClock, nullLogger } from '@shoal/common';
import {
  type AgentSessionMessage,
  type AssignmentMessage,
  type DispatcherApi,
  type StreamHandlers,
} from '@shoal/dispatcher';
import { ManualTimers } from '@shoal/dispatcher/testing/manual.timers';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { describe, expect, it } from 'vitest';
import { Agent } from './agent';
import { MemoryAgentState } from './agent-state.store';

/** A dispatcher that opens every session and records the status reports it is sent. */
class RecordingManager implements DispatcherApi {
  readonly reports: { taskId: string; state: string }[] = [];
  session(_d: string, h: StreamHandlers<AgentSessionMessage>) {
    h.message({ sessionId: 's1', heartbeatPeriodMs: 1_000 });
    return { cancel: () => undefined };
  }
  heartbeat(): Promise<number> {
    return Promise.resolve(1_000);
  }
  assignments(_s: string, _h: StreamHandlers<AssignmentMessage>) {
    return { cancel: () => undefined };
  }
  updateTaskStatus(_s: string, updates: readonly { taskId: string; statusJson: string }[]) {
    for (const u of updates) {
      this.reports.push({
        taskId: u.taskId,
        state: (JSON.parse(u.statusJson) as TaskStatus).State!,
      });
    }
    return Promise.resolve();
  }
  publishLogs(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

describe('Agent', () => {
  it('sends again a final status the last agent saved but may never have delivered', async () => {
    // Found by the cluster chaos simulation (test/sim/cluster, seeds 9, 18, 21 and 27 without
    // it): an agent found a task ended, saved `failed` and died before reporting it; the next
    // agent skipped the ended task and the manager believed it ran for ever.
    const state = new MemoryAgentState();
    await state.save(() => [
      {
        task: { ID: 't1', DesiredState: 'running', NodeID: 'n1' },
        status: { State: 'failed', Message: 'ended while the agent was away' },
      },
    ]);
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const manager = new RecordingManager();
    const agent = new Agent({
      executor: new RecordingExecutor(),
      state,
      connect: () => manager,
      managers: ['m1:7377'],
      describe: () => Promise.resolve({}),
      clock,
      random: () => 0.5,
      timers,
      logger: nullLogger,
    });
    await agent.start();
    await timers.advance(0);
    expect(manager.reports).toEqual([{ taskId: 't1', state: 'failed' }]);
    await agent.stop();
  });
});
