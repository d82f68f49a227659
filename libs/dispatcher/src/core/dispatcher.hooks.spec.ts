import { type Task } from '@shoal/api/swarm';
import { type StoredObject } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatcherFixture } from '../testing/dispatcher.fixture';
import { type Dispatcher } from './dispatcher';
import { type DispatcherHooks } from './dispatcher.hooks';

const running: Dispatcher[] = [];
afterEach(() => running.splice(0).forEach((d) => d.stop()));

function recorder() {
  const heartbeats: string[] = [];
  const delays: [string, number][] = [];
  const hooks: DispatcherHooks = {
    heartbeat: (nodeId) => heartbeats.push(nodeId),
    taskRunning: (taskId, ms) => delays.push([taskId, ms]),
  };
  return { hooks, heartbeats, delays };
}

async function setup() {
  const r = recorder();
  const f = await dispatcherFixture({ nodes: ['n1'], hooks: r.hooks });
  running.push(f.dispatcher);
  const s = await f.dispatcher.openSession('n1', '{}', '10.0.0.1', () => undefined);
  const report = (taskId: string, state: string) =>
    f.dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId, statusJson: JSON.stringify({ State: state, Timestamp: '2026-01-01T00:00:00Z' }) },
    ]);
  /** As the scheduler does: a pending task becomes assigned to n1. */
  const assign = (taskId: string) =>
    f.store.update((tx) => {
      const t = tx.get<Task & StoredObject>('task', taskId)!;
      tx.update('task', { ...t, NodeID: 'n1', Status: { State: 'assigned' } });
    });
  return { ...f, ...r, session: s, report, assign };
}

describe('Dispatcher hooks', () => {
  it('reports each heartbeat of a live session', async () => {
    const { dispatcher, session, heartbeats } = await setup();
    dispatcher.heartbeat('n1', session.sessionId);
    dispatcher.heartbeat('n1', session.sessionId);
    expect(heartbeats).toEqual(['n1', 'n1']);
    expect(() => dispatcher.heartbeat('n1', 'no-such-session')).toThrow();
    expect(heartbeats).toHaveLength(2);
  });

  it('times a task from the write that assigned it to the write that made it running', async () => {
    const { clock, timers, addTask, assign, report, task, delays } = await setup();
    await addTask('t1', 'n1', 'pending');
    clock.advance(400);
    await assign('t1');
    const assignedAt = Date.parse(task('t1')!.UpdatedAt);
    clock.advance(300);
    const accepted = report('t1', 'accepted');
    await timers.advance(100);
    await accepted;
    expect(delays).toEqual([]);
    clock.advance(200);
    const run = report('t1', 'running');
    await timers.advance(100);
    await run;
    // UpdatedAt is the running write's proposal time on the injected clock.
    const runningAt = Date.parse(task('t1')!.UpdatedAt);
    expect(runningAt - assignedAt).toBeGreaterThanOrEqual(600);
    expect(delays).toEqual([['t1', runningAt - assignedAt]]);
    // A later report of the same state is not a second start.
    const again = report('t1', 'running');
    await timers.advance(100);
    await again;
    expect(delays).toHaveLength(1);
  });

  it('does not time a task that ends without running', async () => {
    const { clock, timers, addTask, assign, report, delays } = await setup();
    await addTask('t2', 'n1', 'pending');
    await assign('t2');
    clock.advance(50);
    const failed = report('t2', 'failed');
    await timers.advance(100);
    await failed;
    expect(delays).toEqual([]);
  });
});
