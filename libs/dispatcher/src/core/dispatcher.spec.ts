import { nullLogger } from '@shoal/common';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dispatcherFixture,
  type FixtureNode,
  type FixtureTask,
} from '../testing/dispatcher.fixture';
import { settle } from '../testing/manual.timers';
import { type AssignmentMessage } from './assignment.set';
import {
  Dispatcher,
  ForeignTaskError,
  observedAddr,
  UnknownNodeError,
  UnknownSessionError,
  type SessionPush,
} from './dispatcher';
import { DEFAULT_HEARTBEAT_POLICY, heartbeatGraceMs } from './heartbeat.policy';
import { type StatusBatchBounds } from './status.batcher';

const GRACE = heartbeatGraceMs(1_000, DEFAULT_HEARTBEAT_POLICY);

const running: Dispatcher[] = [];
afterEach(() => running.splice(0).forEach((d) => d.stop()));

async function setup(nodes: string[] = ['n1', 'n2'], statusBatch?: StatusBatchBounds) {
  const f = await dispatcherFixture({ nodes, ...(statusBatch ? { statusBatch } : {}) });
  running.push(f.dispatcher);
  return f;
}

async function open(d: Dispatcher, nodeId: string, pushes: SessionPush[] = []) {
  return d.openSession(nodeId, JSON.stringify({ Hostname: `${nodeId}-host` }), '10.0.0.1', (m) =>
    pushes.push(m),
  );
}

describe('observedAddr', () => {
  it('records the session address, but keeps the joined address over a loopback source', () => {
    expect(observedAddr('10.0.0.1', '10.0.0.9')).toBe('10.0.0.1');
    expect(observedAddr('127.0.0.1', '127.0.0.3')).toBe('127.0.0.3');
    expect(observedAddr('::1', '10.0.0.9')).toBe('10.0.0.9');
    expect(observedAddr('127.0.0.1', undefined)).toBe('127.0.0.1');
  });
});

describe('Dispatcher sessions', () => {
  it('opening a session marks the node ready with its description and address', async () => {
    const { dispatcher, node, store } = await setup();
    await store.update((tx) => {
      const n = tx.get<FixtureNode>('node', 'n1')!;
      tx.update('node', { ...structuredClone(n), Status: { State: 'down' } });
    });
    const s = await open(dispatcher, 'n1');
    expect(s.heartbeatPeriodMs).toBe(1_000);
    const n = node('n1') as FixtureNode & { Description?: { Hostname?: string } };
    expect(n.Status).toMatchObject({ State: 'ready', Addr: '10.0.0.1' });
    expect(n.Description?.Hostname).toBe('n1-host');
  });

  it('refuses a node that is not in the store', async () => {
    const { dispatcher } = await setup();
    await expect(open(dispatcher, 'ghost')).rejects.toBeInstanceOf(UnknownNodeError);
  });

  it('a second session of a node ends the first', async () => {
    const { dispatcher } = await setup();
    const first: SessionPush[] = [];
    const s1 = await open(dispatcher, 'n1', first);
    await open(dispatcher, 'n1');
    expect(first.at(-1)?.end).toMatch(/replaced/);
    expect(() => dispatcher.heartbeat('n1', s1.sessionId)).toThrow(UnknownSessionError);
  });

  it('a heartbeat with another node’s session is refused', async () => {
    const { dispatcher } = await setup();
    const s1 = await open(dispatcher, 'n1');
    expect(() => dispatcher.heartbeat('n2', s1.sessionId)).toThrow(UnknownSessionError);
  });
});

describe('Dispatcher heartbeats', () => {
  it('marks a node down once it misses its grace period, and not before', async () => {
    const { dispatcher, node, timers } = await setup(['n1']);
    const pushes: SessionPush[] = [];
    await open(dispatcher, 'n1', pushes);
    await timers.advance(GRACE - 1);
    expect(node('n1')?.Status?.State).toBe('ready');
    await timers.advance(1);
    expect(node('n1')?.Status).toMatchObject({
      State: 'down',
      Message: 'heartbeat failure',
    });
    expect(pushes.at(-1)?.end).toMatch(/heartbeat/);
  });

  it('keeps a beating node ready', async () => {
    const { dispatcher, node, timers } = await setup(['n1']);
    const s = await open(dispatcher, 'n1');
    for (let i = 0; i < 10; i++) {
      await timers.advance(1_000);
      dispatcher.heartbeat('n1', s.sessionId);
    }
    expect(node('n1')?.Status?.State).toBe('ready');
  });

  it('gives every node a fresh grace period when it starts (a new leader)', async () => {
    const { node, timers } = await setup(['n1', 'n2']);
    // n1 and n2 never connect to this dispatcher: down after one grace period from its start.
    await timers.advance(GRACE - 1);
    expect(node('n1')?.Status?.State).toBe('ready');
    await timers.advance(1);
    expect(node('n1')?.Status?.State).toBe('down');
    expect(node('n2')?.Status?.State).toBe('down');
  });

  it('judges no node after the leader itself stalled past a heartbeat period', async () => {
    const { node, dispatcher, timers, clock } = await setup(['n1']);
    await open(dispatcher, 'n1');
    // The event loop was blocked for 10 s: the check fires far past its due time.
    clock.advance(10_000);
    await timers.advance(0);
    expect(node('n1')?.Status?.State).toBe('ready');
    // A fresh grace from then on: silence after that still marks it down.
    await timers.advance(GRACE);
    expect(node('n1')?.Status?.State).toBe('down');
  });

  it('a node marked down comes back ready with a new session', async () => {
    const { dispatcher, node, timers } = await setup(['n1']);
    await timers.advance(GRACE);
    expect(node('n1')?.Status?.State).toBe('down');
    await open(dispatcher, 'n1');
    expect(node('n1')?.Status?.State).toBe('ready');
  });
});

describe('Dispatcher assignments', () => {
  it('sends the complete set first, then changes chained by sequence', async () => {
    const { addTask, dispatcher, store } = await setup();
    await addTask('t1', 'n1');
    await addTask('pending', 'n1', 'pending'); // not assigned yet: not sent
    await addTask('other', 'n2');
    const s = await open(dispatcher, 'n1');
    const got: AssignmentMessage[] = [];
    dispatcher.watchAssignments(
      'n1',
      s.sessionId,
      (m) => got.push(m),
      () => undefined,
    );
    expect(got[0]).toMatchObject({ type: 'complete', sequence: 1 });
    expect(got[0]!.updated.map((t) => t.ID)).toEqual(['t1']);

    await addTask('t2', 'n1');
    await settle();
    expect(got[1]).toMatchObject({ type: 'incremental', sequence: 2, appliesTo: 1, removed: [] });
    expect(got[1]!.updated.map((t) => t.ID)).toEqual(['t2']);

    // A status change alone is not echoed back; a DesiredState change is.
    await store.update((tx) => {
      const t = structuredClone(tx.get<FixtureTask>('task', 't1')!);
      tx.update('task', { ...t, Status: { State: 'running' } });
    });
    await settle();
    expect(got).toHaveLength(2);
    await store.update((tx) => {
      const t = structuredClone(tx.get<FixtureTask>('task', 't1')!);
      tx.update('task', { ...t, DesiredState: 'shutdown' });
    });
    await settle();
    expect(got[2]).toMatchObject({ sequence: 3, appliesTo: 2 });
    expect(got[2]!.updated[0]).toMatchObject({ ID: 't1', DesiredState: 'shutdown' });

    await store.update((tx) => tx.remove('task', 't2'));
    await settle();
    expect(got[3]).toMatchObject({ sequence: 4, appliesTo: 3, updated: [], removed: ['t2'] });
  });

  it('ends the assignment stream when the session ends', async () => {
    const { dispatcher } = await setup();
    const s = await open(dispatcher, 'n1');
    const ended: string[] = [];
    dispatcher.watchAssignments(
      'n1',
      s.sessionId,
      () => undefined,
      (why) => ended.push(why),
    );
    dispatcher.stop();
    expect(ended).toHaveLength(1);
  });
});

describe('Dispatcher status updates', () => {
  const status = (state: string, extra: object = {}) =>
    JSON.stringify({ State: state, Message: state, Timestamp: '2026-01-01T00:00:00Z', ...extra });

  it('writes the reports of many calls in one batched transaction, merged per task', async () => {
    const { addTask, dispatcher, proposer, task, timers } = await setup();
    await addTask('t1', 'n1');
    await addTask('t2', 'n1');
    const s = await open(dispatcher, 'n1');
    const before = proposer.log.length;
    const a = dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId: 't1', statusJson: status('preparing') },
    ]);
    const b = dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId: 't1', statusJson: status('running') },
      {
        taskId: 't2',
        statusJson: status('failed', { Err: 'boom', ContainerStatus: { ExitCode: 3 } }),
      },
    ]);
    await timers.advance(25);
    await Promise.all([a, b]);
    expect(proposer.log.length - before).toBe(1);
    expect(task('t1')?.Status?.State).toBe('running');
    expect(task('t2')?.Status).toMatchObject({
      State: 'failed',
      Err: 'boom',
      ContainerStatus: { ExitCode: 3 },
    });
  });

  it('writes at once when a batch reaches its count bound', async () => {
    const { task, dispatcher, timers, addTask } = await setup(['n1'], {
      maxBatch: 2,
      maxDelayMs: 10_000,
    });
    for (const id of ['a', 'b']) await addTask(id, 'n1');
    const s = await open(dispatcher, 'n1');
    const done = dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId: 'a', statusJson: status('running') },
      { taskId: 'b', statusJson: status('running') },
    ]);
    await timers.advance(0);
    await done;
    expect(task('b')?.Status?.State).toBe('running');
  });

  it('refuses, writes nothing and names the task when a report is about another node’s task', async () => {
    const { addTask, dispatcher, task, timers } = await setup();
    await addTask('mine', 'n1');
    await addTask('theirs', 'n2');
    const s = await open(dispatcher, 'n1');
    const p = dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId: 'mine', statusJson: status('running') },
      { taskId: 'theirs', statusJson: status('failed') },
    ]);
    await expect(p).rejects.toBeInstanceOf(ForeignTaskError);
    await expect(p).rejects.toThrow(/theirs/);
    await timers.advance(100);
    expect(task('mine')?.Status?.State).toBe('assigned');
    expect(task('theirs')?.Status?.State).toBe('assigned');
  });

  it('does not acknowledge a report that arrived while an earlier batch was being written', async () => {
    const f = await setup(['n1']);
    f.dispatcher.stop();
    let release!: () => void;
    let gate: Promise<void> = new Promise((r) => (release = r));
    const d = new Dispatcher({
      store: {
        view: (fn) => f.store.view(fn),
        viewAndWatch: (fn, l, o) => f.store.viewAndWatch(fn, l, o),
        // Each write waits for the gate, then fails or commits as the test says.
        update: async (fn) => {
          await gate;
          return f.store.update(fn);
        },
      },
      clock: f.clock,
      timers: f.timers,
      newId: () => `s${Math.random()}`,
      logger: nullLogger,
    });
    running.push(d);
    d.start();
    await f.addTask('t1', 'n1');
    const opened = d.openSession('n1', '{}', '10.0.0.1', () => undefined);
    release();
    const s = await opened;
    gate = new Promise((r) => (release = r));
    const first = d.updateTaskStatus('n1', s.sessionId, [
      { taskId: 't1', statusJson: status('starting') },
    ]);
    await f.timers.advance(25); // the first batch is now being written (held at the gate)
    let secondDone = false;
    const second = d
      .updateTaskStatus('n1', s.sessionId, [{ taskId: 't1', statusJson: status('running') }])
      .then(() => (secondDone = true));
    release();
    await first;
    await settle();
    expect(secondDone).toBe(false); // its report was not in the write that just finished
    await f.timers.advance(25);
    await second;
    expect(f.task('t1')?.Status?.State).toBe('running');
  });

  it('never moves a task backwards', async () => {
    const { addTask, dispatcher, task, timers } = await setup();
    await addTask('t1', 'n1', 'running');
    const s = await open(dispatcher, 'n1');
    const p = dispatcher.updateTaskStatus('n1', s.sessionId, [
      { taskId: 't1', statusJson: status('starting') },
    ]);
    await timers.advance(25);
    await p;
    expect(task('t1')?.Status?.State).toBe('running');
  });

  it('keeps the newer of two reports of the same state (an agent resending after a restart)', async () => {
    const { addTask, dispatcher, task, timers } = await setup();
    await addTask('t1', 'n1');
    const s = await open(dispatcher, 'n1');
    const report = async (timestamp: string) => {
      const p = dispatcher.updateTaskStatus('n1', s.sessionId, [
        { taskId: 't1', statusJson: status('running', { Timestamp: timestamp }) },
      ]);
      await timers.advance(25);
      await p;
    };
    await report('2026-01-01T00:00:10Z');
    await report('2026-01-01T00:00:05Z');
    expect(task('t1')?.Status?.Timestamp).toBe('2026-01-01T00:00:10Z');
    await report('2026-01-01T00:00:20Z');
    expect(task('t1')?.Status?.Timestamp).toBe('2026-01-01T00:00:20Z');
  });
});
