import { type Task } from '@shoal/api/swarm';
import { type StoredObject } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { type AssignmentMessage } from '../core/assignment.set';
import { type Dispatcher } from '../core/dispatcher';
import { DispatcherCallError, type AgentSessionMessage } from '../core/dispatcher-api.port';
import { DEFAULT_HEARTBEAT_POLICY, heartbeatGraceMs } from '../core/heartbeat.policy';
import { InProcessDispatcherApi, InProcessLink } from './in-process.api';
import { dispatcherFixture } from './dispatcher.fixture';
import { settle } from './manual.timers';

const GRACE = heartbeatGraceMs(1_000, DEFAULT_HEARTBEAT_POLICY);

type StoredNode = StoredObject & { Status?: { State?: string; Addr?: string } };

const running: Dispatcher[] = [];
afterEach(() => running.splice(0).forEach((d) => d.stop()));

async function setup() {
  const { timers, store, dispatcher, addTask } = await dispatcherFixture({
    nodes: ['n1'],
    nodeState: 'unknown',
  });
  await addTask('t1', 'n1');
  running.push(dispatcher);
  let leads = true;
  const link = new InProcessLink();
  const api = new InProcessDispatcherApi({
    link,
    nodeId: 'n1',
    current: () => (leads ? { dispatcher } : undefined),
    leaderAddr: () => '10.9.9.9:4242',
    peerAddr: '10.0.0.7',
  });
  const node = () => store.view((tx) => tx.get<StoredNode>('node', 'n1'));
  return { store, timers, dispatcher, link, api, node, stepDown: () => (leads = false) };
}

/** A stream's messages and its end, as the agent sees them. */
function recorder<T>() {
  const r = {
    messages: [] as T[],
    ended: undefined as DispatcherCallError | undefined | 'open',
    handlers: {
      message: (m: T) => void r.messages.push(m),
      end: (err?: DispatcherCallError) => void (r.ended = err),
    },
  };
  r.ended = 'open';
  return r;
}

async function openSession(api: InProcessDispatcherApi) {
  const s = recorder<AgentSessionMessage>();
  const stream = api.session(JSON.stringify({ Hostname: 'h1' }), s.handlers);
  await settle();
  return { s, stream, sessionId: s.messages[0]?.sessionId ?? '' };
}

describe('InProcessDispatcherApi', () => {
  it('opens a session like the gRPC path: period in the first message, node ready at its address', async () => {
    const { api, node } = await setup();
    const { s, sessionId } = await openSession(api);
    expect(s.messages).toEqual([{ sessionId, heartbeatPeriodMs: 1_000 }]);
    expect(node()?.Status).toMatchObject({ State: 'ready', Addr: '10.0.0.7' });
    await expect(api.heartbeat(sessionId)).resolves.toBe(1_000);
  });

  it('maps the core’s errors to DispatcherCallError kinds', async () => {
    const { api, stepDown } = await setup();
    const { sessionId } = await openSession(api);
    await expect(api.heartbeat('nope')).rejects.toMatchObject({ kind: 'unknown-session' });
    await expect(
      api.updateTaskStatus(sessionId, [{ taskId: 'other', statusJson: '{"State":"running"}' }]),
    ).rejects.toMatchObject({ kind: 'denied' });
    await expect(
      api.updateTaskStatus(sessionId, [{ taskId: 't1', statusJson: '{"State":"pending"}' }]),
    ).rejects.toMatchObject({ kind: 'invalid' });
    stepDown();
    const err = await api.heartbeat(sessionId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DispatcherCallError);
    expect(err).toMatchObject({ kind: 'not-leader', leaderAddr: '10.9.9.9:4242' });
  });

  it('streams assignments as copies and writes status reports in a batch', async () => {
    const { api, store, timers } = await setup();
    const { sessionId } = await openSession(api);
    const a = recorder<AssignmentMessage>();
    api.assignments(sessionId, a.handlers);
    await settle();
    expect(a.messages.map((m) => m.type)).toEqual(['complete']);
    const sent = a.messages[0]!.updated[0]!;
    sent.DesiredState = 'remove';
    const stored = () => store.view((tx) => tx.get<Task & StoredObject>('task', 't1'));
    expect(stored()?.DesiredState).toBe('running');

    const ack = api.updateTaskStatus(sessionId, [
      { taskId: 't1', statusJson: JSON.stringify({ State: 'running', Message: 'started' }) },
    ]);
    await timers.advance(100);
    await ack;
    expect(stored()?.Status?.State).toBe('running');
  });

  it('a cut link is a vanished peer: nothing answers, and the node goes down only after its grace', async () => {
    const { api, link, timers, dispatcher, node } = await setup();
    const { s, sessionId } = await openSession(api);
    link.cut();
    let settled = false;
    void api.heartbeat(sessionId).finally(() => (settled = true));
    await timers.advance(GRACE - 1);
    expect(node()?.Status?.State).toBe('ready');
    expect(dispatcher.hasSession('n1')).toBe(true);
    await timers.advance(1);
    expect(node()?.Status?.State).toBe('down');
    expect(dispatcher.hasSession('n1')).toBe(false);
    // The session's end went down a dead wire: the agent never hears it.
    expect(s.ended).toBe('open');
    expect(settled).toBe(false);
  });

  it('a reset link ends the node’s streams on the manager at once', async () => {
    const { api, link, dispatcher, node } = await setup();
    const { sessionId } = await openSession(api);
    api.assignments(sessionId, recorder<AssignmentMessage>().handlers);
    await settle();
    link.cut({ reset: true });
    await settle();
    expect(dispatcher.hasSession('n1')).toBe(false);
    expect(node()?.Status?.State).toBe('ready');
  });

  it('an agent cancelling its session stream closes the session on the manager', async () => {
    const { api, dispatcher } = await setup();
    const { s, stream } = await openSession(api);
    expect(dispatcher.hasSession('n1')).toBe(true);
    stream.cancel();
    await settle();
    expect(dispatcher.hasSession('n1')).toBe(false);
    expect(s.ended).toBe('open');
  });

  it('a closed client refuses new calls, as a closed channel does', async () => {
    const { api } = await setup();
    api.close();
    await expect(api.heartbeat('x')).rejects.toMatchObject({ kind: 'unavailable' });
    const s = recorder<AgentSessionMessage>();
    api.session('{}', s.handlers);
    await settle();
    expect(s.ended).toMatchObject({ kind: 'unavailable' });
  });
});
