import { ManualClock, nullLogger } from '@shoal/common';
import {
  DispatcherCallError,
  type AgentSessionMessage,
  type AssignmentMessage,
  type DispatcherApi,
  type StreamHandlers,
} from '@shoal/dispatcher';
import { ManualTimers } from '@shoal/dispatcher/testing/manual.timers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentSession } from './agent.session';

/** A manager's dispatcher as the agent sees it; the test plays the manager's part. */
class FakeManager implements DispatcherApi {
  sessionHandlers?: StreamHandlers<AgentSessionMessage>;
  assignmentStreams: StreamHandlers<AssignmentMessage>[] = [];
  beats = 0;
  heartbeatError?: DispatcherCallError;
  closed = false;
  constructor(readonly addr: string) {}
  session(_d: string, h: StreamHandlers<AgentSessionMessage>) {
    this.sessionHandlers = h;
    return { cancel: () => undefined };
  }
  heartbeat(): Promise<number> {
    this.beats++;
    return this.heartbeatError ? Promise.reject(this.heartbeatError) : Promise.resolve(1_000);
  }
  assignments(_s: string, h: StreamHandlers<AssignmentMessage>) {
    this.assignmentStreams.push(h);
    return { cancel: () => undefined };
  }
  updateTaskStatus(): Promise<void> {
    return Promise.resolve();
  }
  publishLogs(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

function setup(managers: string[], timers?: ManualTimers) {
  const connections: FakeManager[] = [];
  const assignments: AssignmentMessage[] = [];
  const events: string[] = [];
  const session = new AgentSession({
    connect: (addr) => {
      const m = new FakeManager(addr);
      connections.push(m);
      return m;
    },
    managers: () => managers,
    describe: () => Promise.resolve('{}'),
    onOpen: (_api, id) => events.push(`open ${id}`),
    onClose: () => events.push('close'),
    onAssignments: (m) => assignments.push(m),
    onManagers: () => undefined,
    onLogSubscription: () => undefined,
    random: () => 0.5,
    ...(timers ? { timers } : {}),
    logger: nullLogger,
  });
  return { session, connections, assignments, events };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const msg = (
  type: 'complete' | 'incremental',
  sequence: number,
  appliesTo = 0,
): AssignmentMessage => ({ type, sequence, appliesTo, updated: [], removed: [] });

describe('AgentSession', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes straight to the leader a follower names', async () => {
    const { session, connections, events } = setup(['m1:7377', 'm2:7377']);
    session.start();
    await flush();
    connections[0]!.sessionHandlers!.end(new DispatcherCallError('not-leader', 'no', 'm2:7377'));
    await flush();
    expect(connections.map((c) => c.addr)).toEqual(['m1:7377', 'm2:7377']);
    connections[1]!.sessionHandlers!.message({ sessionId: 's1', heartbeatPeriodMs: 1_000 });
    await flush();
    expect(events).toEqual(['open s1']);
    await session.stop();
  });

  it('beats at the period the manager sets, jittered early, and reconnects when beats fail', async () => {
    const { session, connections, events } = setup(['m1:7377']);
    session.start();
    await flush();
    connections[0]!.sessionHandlers!.message({ sessionId: 's1', heartbeatPeriodMs: 1_000 });
    await flush();
    // random 0.5 → 1000 × (1 − 0.25 × 0.5) = 875 ms.
    await vi.advanceTimersByTimeAsync(874);
    expect(connections[0]!.beats).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(connections[0]!.beats).toBe(1);
    connections[0]!.heartbeatError = new DispatcherCallError('unknown-session', 'gone');
    await vi.advanceTimersByTimeAsync(875);
    expect(events).toEqual(['open s1', 'close']);
    expect(connections[0]!.closed).toBe(true);
    // Backoff, then a new connection.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(connections.length).toBe(2);
    await session.stop();
  });

  it('resyncs the assignments when a message does not follow the last one', async () => {
    const { session, connections, assignments } = setup(['m1:7377']);
    session.start();
    await flush();
    const m = connections[0]!;
    m.sessionHandlers!.message({ sessionId: 's1', heartbeatPeriodMs: 1_000 });
    await flush();
    m.assignmentStreams[0]!.message(msg('complete', 1));
    m.assignmentStreams[0]!.message(msg('incremental', 2, 1));
    m.assignmentStreams[0]!.message(msg('incremental', 4, 3)); // 3 was lost
    expect(assignments.map((a) => a.sequence)).toEqual([1, 2]);
    expect(m.assignmentStreams).toHaveLength(2); // reopened: a complete set comes first
    m.assignmentStreams[1]!.message(msg('complete', 1));
    expect(assignments.map((a) => a.type)).toEqual(['complete', 'incremental', 'complete']);
    await session.stop();
  });
});

describe('AgentSession on injected timers', () => {
  it('takes its heartbeat and backoff timers from the TimerPort, not the global ones', async () => {
    const timers = new ManualTimers(new ManualClock());
    const { session, connections, events } = setup(['m1:7377'], timers);
    session.start();
    await timers.advance(0);
    connections[0]!.sessionHandlers!.message({ sessionId: 's1', heartbeatPeriodMs: 1_000 });
    await timers.advance(874);
    expect(connections[0]!.beats).toBe(0);
    await timers.advance(1);
    expect(connections[0]!.beats).toBe(1);
    connections[0]!.heartbeatError = new DispatcherCallError('unknown-session', 'gone');
    await timers.advance(875);
    expect(events).toEqual(['open s1', 'close']);
    await timers.advance(2_000);
    expect(connections.length).toBe(2);
    await session.stop();
  });
});
