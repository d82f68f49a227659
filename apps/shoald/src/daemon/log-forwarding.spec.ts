import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  loadManagerProto,
  UnavailableError,
  type PbLogsRequestOut,
  type PbManagerControlClient,
} from '@shoal/api';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU } from '@shoal/ca';
import { managerChannelCredentials } from '@shoal/ca/grpc';
import { nullLogger } from '@shoal/common';
import {
  type BrokeredLogLine,
  type LogBroker,
  type LogRequest,
  type LogSink,
} from '@shoal/dispatcher';
import { GrpcTransport, type RaftDriver } from '@shoal/raft';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { clusterPortCredentials, managerOnlyAuthorizer } from './cluster-port';
import { managerControlService } from './leader-forwarding';
import { forwardLogs, logsRequestFromPb, logsRequestToPb } from './log-forwarding';
import { type ManagerNode } from './manager.node';
import { startManagerCluster } from './testing/manager-cluster';

/** What a sink saw, in order. */
function recordingSink(): LogSink & { events: string[]; ended: Promise<void> } {
  let done!: () => void;
  const ended = new Promise<void>((r) => (done = r));
  const events: string[] = [];
  return {
    events,
    ended,
    line: (l) => events.push(`${l.stream} ${l.taskId}@${l.nodeId}: ${l.data.toString()}`),
    warning: (m) => events.push(`warning: ${m}`),
    end: () => {
      events.push('end');
      done();
    },
  };
}

describe('log request conversion', () => {
  it('round-trips, "all" and "no bound" included', () => {
    const full: LogRequest = {
      tasks: [{ taskId: 't', nodeId: 'n' }],
      follow: true,
      tail: 0,
      sinceMs: 1.5,
      timestamps: true,
    };
    const bare: LogRequest = { tasks: [], follow: false, timestamps: false };
    for (const req of [full, bare]) {
      const pb = logsRequestToPb(req);
      // Every field is set on the way out, so the message reads back as the loader decodes it.
      expect(logsRequestFromPb(pb as PbLogsRequestOut)).toEqual(req);
    }
  });
});

describe('ManagerControl.Logs over the cluster port', () => {
  let pki: TestPki;
  let transport: GrpcTransport;
  let address = '';
  let leading = true;
  let broker: LogBroker | undefined;
  const subscriptions: { req: LogRequest; sink: LogSink; cancelled: boolean }[] = [];
  let play: (sub: { req: LogRequest; sink: LogSink }) => void = () => undefined;
  const clients: PbManagerControlClient[] = [];

  const client = (who: 'm2' | 'w1'): PbManagerControlClient => {
    const c = new (loadManagerProto().shoal.manager.v1.ManagerControl)(
      address,
      managerChannelCredentials(pki.caPem, pki.nodes[who]),
      { 'grpc.use_local_subchannel_pool': 1 },
    );
    clients.push(c);
    return c;
  };
  const line = (taskId: string, text: string): BrokeredLogLine => ({
    taskId,
    nodeId: 'n1',
    stream: 'stdout',
    data: Buffer.from(text),
  });

  beforeAll(async () => {
    pki = await makeTestPki([
      { id: 'm1', role: MANAGER_ROLE_OU },
      { id: 'm2', role: MANAGER_ROLE_OU },
      { id: 'w1', role: WORKER_ROLE_OU },
    ]);
    const authorize = managerOnlyAuthorizer(pki.caPem, () => false);
    const fakeBroker = {
      subscribe: (req: LogRequest, sink: LogSink) => {
        const sub = { req, sink, cancelled: false };
        subscriptions.push(sub);
        play(sub);
        return () => (sub.cancelled = true);
      },
    } as unknown as LogBroker;
    broker = fakeBroker;
    const driver = { isLeader: () => leading } as unknown as RaftDriver;
    transport = new GrpcTransport({
      id: 'm1',
      listenAddress: '127.0.0.1:0',
      credentials: clusterPortCredentials({
        caPem: pki.caPem,
        certPem: pki.nodes.m1!.certPem,
        keyPem: pki.nodes.m1!.keyPem,
      }),
      authorizePeer: authorize,
      extraServices: [
        managerControlService(
          () => driver,
          nullLogger,
          authorize,
          () => broker,
        ),
      ],
    });
    await transport.start({
      onMessage: () => undefined,
      onUnreachable: () => undefined,
      onSnapshotStatus: () => undefined,
    });
    address = `127.0.0.1:${transport.boundPort}`;
  });

  afterEach(() => {
    subscriptions.length = 0;
    play = () => undefined;
    leading = true;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await transport?.stop();
  });

  it('carries the request to the leader’s broker, and lines, warnings and the end back, in order', async () => {
    play = ({ sink }) => {
      sink.line(line('t1', 'one\n'));
      sink.warning('node n2 is down or not connected');
      sink.line(line('t1', 'two\n'));
      sink.end();
    };
    const sink = recordingSink();
    const req: LogRequest = {
      tasks: [{ taskId: 't1', nodeId: 'n1' }],
      follow: false,
      tail: 3,
      sinceMs: 1000,
      timestamps: false,
    };
    await forwardLogs(client('m2'), address, req, sink);
    await sink.ended;
    expect(subscriptions.map((s) => s.req)).toEqual([req]);
    expect(sink.events).toEqual([
      'stdout t1@n1: one\n',
      'warning: node n2 is down or not connected',
      'stdout t1@n1: two\n',
      'end',
    ]);
  });

  it('resolves once the subscription is open; cancelling it cancels the leader’s', async () => {
    const sink = recordingSink();
    const cancel = await forwardLogs(
      client('m2'),
      address,
      { tasks: [{ taskId: 't1', nodeId: 'n1' }], follow: true, timestamps: false },
      sink,
    );
    expect(subscriptions).toHaveLength(1);
    subscriptions[0]!.sink.line(line('t1', 'live\n'));
    await expect.poll(() => sink.events).toEqual(['stdout t1@n1: live\n']);
    cancel();
    await expect.poll(() => subscriptions[0]!.cancelled).toBe(true);
    // Cancelled by us: no end and no warning reach the sink.
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.events).toEqual(['stdout t1@n1: live\n']);
  });

  it('rejects with a 503, subscribing nothing, where no broker runs or the caller is no manager', async () => {
    const req: LogRequest = { tasks: [], follow: false, timestamps: false };
    const saved = broker;
    broker = undefined;
    try {
      leading = false;
      const notLeader = forwardLogs(client('m2'), address, req, recordingSink());
      await expect(notLeader).rejects.toBeInstanceOf(UnavailableError);
      await expect(notLeader).rejects.toThrow(/this manager is not the leader/);
      leading = true;
      await expect(forwardLogs(client('m2'), address, req, recordingSink())).rejects.toThrow(
        /still starting its dispatcher/,
      );
    } finally {
      broker = saved;
    }
    await expect(forwardLogs(client('w1'), address, req, recordingSink())).rejects.toThrow(
      /only managers may forward log requests/,
    );
    expect(subscriptions).toEqual([]);
  });
});

describe('ManagerNode.openLogs: three managers in process', () => {
  const ids = ['m1', 'm2', 'm3'];
  const managers: ManagerNode[] = [];
  let root = '';

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a follower’s request reaches the leader’s broker, which reports a node without a session', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-logs-managers-'));
    managers.push(...(await startManagerCluster(root, ids)).managers);
    const follower = managers.find((m) => !m.isLeader())!;
    const req: LogRequest = {
      tasks: [{ taskId: 'task1', nodeId: 'gone' }],
      follow: false,
      timestamps: false,
    };
    // The leader's services start just after its election; until then the request is refused.
    let sink = recordingSink();
    await expect
      .poll(
        async () => {
          sink = recordingSink();
          return follower.openLogs(req, sink).then(
            () => 'open',
            (err: Error) => err.message,
          );
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe('open');
    await sink.ended;
    expect(sink.events).toEqual([
      'warning: node gone is down or not connected: logs of its tasks (task1) are unavailable',
      'end',
    ]);
  }, 30_000);
});
