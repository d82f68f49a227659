import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nullLogger } from '@shoal/common';
import {
  type AgentSessionMessage,
  type AssignmentMessage,
  DispatcherCallError,
  type Dispatcher,
} from '@shoal/dispatcher';
import { dispatcherFixture } from '@shoal/dispatcher/testing/dispatcher.fixture';
import { afterEach, describe, expect, it } from 'vitest';
import { DispatcherBridgeClient, serveDispatcherBridge } from './dispatcher.bridge';
import { LatestAgentState, simulatedAgent } from './simulated.agent';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bridged(current: () => { dispatcher: Dispatcher } | undefined, leaderAddr?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'shoal-bridge-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await serveDispatcherBridge({
    path: path.join(dir, 'd.sock'),
    current,
    leaderAddr: () => leaderAddr,
  });
  cleanups.push(() => server.close());
  const client = await DispatcherBridgeClient.connect(path.join(dir, 'd.sock'));
  cleanups.push(() => client.close());
  return client;
}

function until<T>(probe: () => T | undefined, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      const v = probe();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error('timed out'));
      setTimeout(check, 10);
    };
    check();
  });
}

describe('the dispatcher bridge', () => {
  it('carries a real agent: its session, its assignments and its reports', async () => {
    const f = await dispatcherFixture({ nodes: ['n1'], nodeState: 'unknown' });
    cleanups.push(() => f.dispatcher.stop());
    const client = await bridged(() => ({ dispatcher: f.dispatcher }));
    const { agent } = simulatedAgent({
      id: 'n1',
      connect: () => client.api('n1', '10.0.0.1'),
      managers: ['m1'],
      random: () => 0.5,
      logger: nullLogger,
      state: new LatestAgentState(),
    });
    await agent.start();
    cleanups.push(() => agent.stop());
    await until(() => (f.node('n1')?.Status?.State === 'ready' ? true : undefined));
    expect(f.node('n1')?.Status?.Addr).toBe('10.0.0.1');

    await f.addTask('t1', 'n1');
    // The fixture's dispatcher batches reports on manual timers: run them until written.
    await until(() => {
      void f.timers.advance(25);
      return f.task('t1')?.Status?.State === 'running' ? true : undefined;
    });
  });

  it('streams assignments in sequence and ends them when the session ends', async () => {
    const f = await dispatcherFixture({ nodes: ['n1'] });
    const client = await bridged(() => ({ dispatcher: f.dispatcher }));
    const api = client.api('n1', '10.0.0.1');
    const sessions: AgentSessionMessage[] = [];
    let sessionEnd: DispatcherCallError | undefined | 'open' = 'open';
    api.session('{}', {
      message: (m) => sessions.push(m),
      end: (e) => (sessionEnd = e),
    });
    const sessionId = (await until(() => sessions[0])).sessionId;
    const got: AssignmentMessage[] = [];
    let end: DispatcherCallError | undefined | 'open' = 'open';
    api.assignments(sessionId, { message: (m) => got.push(m), end: (e) => (end = e) });
    await until(() => got[0]);
    await f.addTask('t1', 'n1');
    const second = await until(() => got[1]);
    expect(second).toMatchObject({ type: 'incremental', sequence: 2, appliesTo: 1 });
    expect(second.updated.map((t) => t.ID)).toEqual(['t1']);

    f.dispatcher.stop();
    await until(() => (end !== 'open' && sessionEnd !== 'open' ? true : undefined));
    expect(end).toBeInstanceOf(DispatcherCallError);
    expect((end as unknown as DispatcherCallError).kind).toBe('unavailable');
  });

  it('maps the core errors as the gRPC service does, and names the leader where it does not lead', async () => {
    const f = await dispatcherFixture({ nodes: ['n1'] });
    cleanups.push(() => f.dispatcher.stop());
    const leading = await bridged(() => ({ dispatcher: f.dispatcher }));
    await expect(leading.api('n1', 'x').heartbeat('no-such-session')).rejects.toMatchObject({
      kind: 'unknown-session',
    });

    const follower = await bridged(() => undefined, '127.0.0.1:4242');
    await expect(follower.api('n1', 'x').heartbeat('s')).rejects.toMatchObject({
      kind: 'not-leader',
      leaderAddr: '127.0.0.1:4242',
    });
    const ended = await new Promise<DispatcherCallError | undefined>((resolve) =>
      follower.api('n1', 'x').session('{}', { message: () => undefined, end: resolve }),
    );
    expect(ended).toMatchObject({ kind: 'not-leader', leaderAddr: '127.0.0.1:4242' });
  });
});
