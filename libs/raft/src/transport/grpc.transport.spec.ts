import { X509Certificate, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  loadRaftProto,
  type PbRaftBatchOut,
  type PbRaftTransportHandlers,
  type PbSnapshotChunkOut,
} from '@shoal/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../../../test/support/free-port';
import { grpcCredentialsFor, makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { type Message, MessageType, type NodeId, emptyMessage } from '../core/types';
import { GrpcTransport, type GrpcTransportOptions } from './grpc.transport';
import { MAX_GRPC_MESSAGE_BYTES } from './message.codec';
import { MAX_SNAPSHOT_CHUNK_BYTES, SnapshotAssembler } from './snapshot.codec';
import { type TransportHandlers } from './transport';

const WAIT_MS = 10_000;
const MiB = 1024 * 1024;

/** Records what a transport reports and lets a test wait for a condition on it. */
class Probe implements TransportHandlers {
  readonly messages: Message[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshots: [NodeId, boolean][] = [];
  readonly warnings: string[] = [];
  private readonly waiters = new Set<() => void>();

  onMessage(m: Message): void {
    this.messages.push(m);
    this.changed();
  }
  onUnreachable(p: NodeId): void {
    this.unreachable.push(p);
    this.changed();
  }
  onSnapshotStatus(p: NodeId, ok: boolean): void {
    this.snapshots.push([p, ok]);
    this.changed();
  }

  readonly logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg: string) => {
      this.warnings.push(msg);
      this.changed();
    },
  };

  changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves as soon as `cond` holds after some report; fails after WAIT_MS. */
  until(cond: () => boolean, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_MS);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  from(peer: NodeId): Message[] {
    return this.messages.filter((m) => m.from === peer);
  }
}

let pki: TestPki;
let foreignPki: TestPki;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await makeTestPki(['n1', 'n2', 'n3']);
  // Same node name, different CA: a certificate that looks right but is not trusted.
  foreignPki = await makeTestPki(['n3'], { caName: 'Shoal Test CA' });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

async function node(
  id: NodeId,
  opts: Partial<GrpcTransportOptions> & { pki?: TestPki } = {},
): Promise<{ t: GrpcTransport; probe: Probe; address: string }> {
  const probe = new Probe();
  const t = new GrpcTransport({
    id,
    listenAddress: '127.0.0.1:0',
    credentials: grpcCredentialsFor(opts.pki ?? pki, id),
    logger: probe.logger,
    backoff: { initialMs: 20, maxMs: 200 },
    stopGraceMs: 200,
    ...opts,
  });
  running.push(t);
  await t.start(probe);
  return { t, probe, address: `127.0.0.1:${t.boundPort}` };
}

const app = (from: NodeId, to: NodeId, index: number, data?: Uint8Array): Message => ({
  ...emptyMessage(MessageType.App, to, from),
  term: 1,
  index,
  entries: data ? [{ term: 1, index: index + 1, type: 0, data }] : [],
});

function sendMany(
  t: GrpcTransport,
  from: NodeId,
  to: NodeId,
  count: number,
  perCall: number,
): void {
  for (let i = 0; i < count; i += perCall) {
    t.send(Array.from({ length: Math.min(perCall, count - i) }, (_, k) => app(from, to, i + k)));
  }
}

const indexes = (ms: Message[]) => ms.map((m) => m.index);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function snapshotMessage(from: NodeId, to: NodeId, data: Uint8Array): Message {
  return {
    ...emptyMessage(MessageType.Snap, to, from),
    term: 3,
    snapshot: {
      metadata: { index: 100, term: 2, confState: { voters: ['n1', 'n2', 'n3'], learners: [] } },
      data,
    },
  };
}

describe('GrpcTransport over mTLS', () => {
  it('two nodes exchange messages both ways, in order', async () => {
    const a = await node('n1');
    const b = await node('n2');
    a.t.setPeer('n2', b.address);
    b.t.setPeer('n1', a.address);
    sendMany(a.t, 'n1', 'n2', 500, 7);
    sendMany(b.t, 'n2', 'n1', 500, 13);
    await b.probe.until(() => b.probe.messages.length === 500, 'n2 to receive 500');
    await a.probe.until(() => a.probe.messages.length === 500, 'n1 to receive 500');
    expect(indexes(b.probe.messages)).toEqual(range(500));
    expect(indexes(a.probe.messages)).toEqual(range(500));
    expect(b.probe.messages.every((m) => m.from === 'n1' && m.to === 'n2')).toBe(true);
    expect([...a.probe.warnings, ...b.probe.warnings]).toEqual([]);
  });

  it('three nodes: every pair, order kept per sender', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const nodes = await Promise.all(ids.map((id) => node(id)));
    for (const [i, n] of nodes.entries()) {
      for (const [j, peer] of nodes.entries()) if (i !== j) n.t.setPeer(ids[j], peer.address);
    }
    for (const [i, n] of nodes.entries()) {
      for (const to of ids) if (to !== ids[i]) sendMany(n.t, ids[i], to, 200, 9);
    }
    for (const [i, n] of nodes.entries()) {
      await n.probe.until(() => n.probe.messages.length === 400, `${ids[i]} to receive 400`);
      for (const from of ids)
        if (from !== ids[i]) expect(indexes(n.probe.from(from))).toEqual(range(200));
    }
  });

  it('moves a 10 MiB snapshot in chunks and reports success', async () => {
    const a = await node('n1');
    const b = await node('n2');
    a.t.setPeer('n2', b.address);
    const data = new Uint8Array(randomBytes(10 * MiB));
    a.t.send([app('n1', 'n2', 1), snapshotMessage('n1', 'n2', data), app('n1', 'n2', 2)]);
    await a.probe.until(() => a.probe.snapshots.length > 0, 'snapshot status');
    expect(a.probe.snapshots).toEqual([['n2', true]]);
    const snap = b.probe.messages.find((m) => m.type === MessageType.Snap);
    expect(snap?.snapshot?.metadata).toEqual(snapshotMessage('n1', 'n2', data).snapshot!.metadata);
    expect(Buffer.compare(snap!.snapshot!.data, data)).toBe(0);
    // The ordinary stream kept flowing alongside.
    await b.probe.until(() => b.probe.messages.length === 3, 'the two appends');
  });

  it('reports a snapshot to an unreachable peer as failed', async () => {
    const a = await node('n1');
    a.t.setPeer('n2', `127.0.0.1:${(await freePorts(1))[0]!}`);
    a.t.send([snapshotMessage('n1', 'n2', new Uint8Array(1000))]);
    await a.probe.until(() => a.probe.snapshots.length > 0, 'snapshot status');
    expect(a.probe.snapshots).toEqual([['n2', false]]);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const a = await node('n1');
    // The intruder trusts n1's CA, so only n1's check of the client certificate can stop it.
    const foreign = foreignPki.nodes.n3;
    const intruder = await node('n3', {
      credentials: {
        server: grpcCredentialsFor(foreignPki, 'n3').server,
        client: grpc.credentials.createSsl(
          Buffer.from(pki.caPem),
          Buffer.from(foreign.keyPem),
          Buffer.from(foreign.certPem),
        ),
      },
    });
    const legit = await node('n2');
    intruder.t.setPeer('n1', a.address);
    intruder.t.send([app('n3', 'n1', 666)]);
    await intruder.probe.until(() => intruder.probe.unreachable.includes('n1'), 'intruder refused');
    // Anything the intruder got through would have arrived before this message does.
    legit.t.setPeer('n1', a.address);
    legit.t.send([app('n2', 'n1', 1)]);
    await a.probe.until(() => a.probe.messages.length > 0, 'legit message');
    expect(a.probe.messages.map((m) => [m.from, m.index])).toEqual([['n2', 1]]);
  });

  it('drops inbound messages for another node or from an impostor', async () => {
    const a = await node('n1');
    const b = await node('n2');
    // n1 believes n3 lives at n2's address: its messages for n3 land on n2.
    a.t.setPeer('n3', b.address);
    a.t.send([app('n1', 'n3', 1)]);
    await b.probe.until(
      () => b.probe.warnings.some((w) => w.includes('addressed to "n3"')),
      'drop',
    );
    // n1's certificate says n1, so a message claiming to come from n3 is refused too.
    a.t.setPeer('n2', b.address);
    a.t.send([app('n3', 'n2', 2), app('n1', 'n2', 3)]);
    await b.probe.until(() => b.probe.messages.length > 0, 'the genuine message');
    expect(b.probe.messages.map((m) => [m.from, m.index])).toEqual([['n1', 3]]);
    expect(b.probe.warnings.some((w) => w.includes('certificate says n1'))).toBe(true);
  });

  it('reports a down peer unreachable and reconnects once it is up', async () => {
    const port = (await freePorts(1))[0]!;
    const a = await node('n1');
    a.t.setPeer('n2', `127.0.0.1:${port}`);
    a.t.send([app('n1', 'n2', 0)]);
    await a.probe.until(() => a.probe.unreachable.includes('n2'), 'n2 unreachable');

    const b = await node('n2', { listenAddress: `127.0.0.1:${port}` });
    // Raft resends on every heartbeat; so does this test, until something gets through.
    let i = 1;
    const heartbeat = setInterval(() => a.t.send([app('n1', 'n2', i++)]), 20);
    try {
      await b.probe.until(() => b.probe.messages.length >= 3, 'messages after reconnect');
    } finally {
      clearInterval(heartbeat);
    }
    const got = indexes(b.probe.messages);
    expect(got).toEqual([...got].sort((x, y) => x - y));
  });

  it('reports a peer without an address unreachable, and stops sending to a removed one', async () => {
    const a = await node('n1');
    const b = await node('n2');
    a.t.send(range(50).map((i) => app('n1', 'n2', i)));
    await a.probe.until(() => a.probe.unreachable.includes('n2'), 'unknown peer unreachable');
    // Reported once, not fifty times: the reports are rate-limited per peer.
    expect(a.probe.unreachable).toEqual(['n2']);
    a.t.setPeer('n2', b.address);
    a.t.send([app('n1', 'n2', 1)]);
    await b.probe.until(() => b.probe.messages.length === 1, 'delivery');
    a.t.removePeer('n2');
    a.t.send([app('n1', 'n2', 2)]);
    a.t.setPeer('n2', b.address);
    a.t.send([app('n1', 'n2', 3)]);
    await b.probe.until(() => b.probe.messages.length === 2, 'delivery after re-adding');
    expect(indexes(b.probe.messages)).toEqual([1, 3]);
  });
});

describe('GrpcTransport authorizePeer', () => {
  it('sees the verified client certificate of each inbound call', async () => {
    const seen: { cn?: string; der?: string }[] = [];
    const a = await node('n1', {
      authorizePeer: (peer) => {
        seen.push({
          cn: peer.cn,
          der: peer.certificateDer && Buffer.from(peer.certificateDer).toString('base64'),
        });
        return undefined;
      },
    });
    const b = await node('n2');
    b.t.setPeer('n1', a.address);
    b.t.send([app('n2', 'n1', 1)]);
    await a.probe.until(() => a.probe.messages.length === 1, 'delivery');
    const der = new X509Certificate(pki.nodes.n2.certPem).raw.toString('base64');
    expect(seen).toEqual([{ cn: 'n2', der }]);
  });

  it('refuses a peer it rejects, logging the refusal once however often it retries', async () => {
    let asked = 0;
    const a = await node('n1', {
      authorizePeer: (peer) => {
        asked++;
        return peer.cn === 'n3' ? 'n3 is not welcome' : undefined;
      },
    });
    const refused = await node('n3');
    const legit = await node('n2');
    refused.t.setPeer('n1', a.address);
    let i = 0;
    const retry = setInterval(() => refused.t.send([app('n3', 'n1', i++)]), 20);
    try {
      // `asked` is not a probe event: poll for it.
      const deadline = Date.now() + WAIT_MS;
      while (asked < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(asked).toBeGreaterThanOrEqual(4);
    } finally {
      clearInterval(retry);
    }
    await refused.probe.until(() => refused.probe.unreachable.includes('n1'), 'refused');
    legit.t.setPeer('n1', a.address);
    legit.t.send([app('n2', 'n1', 1)]);
    await a.probe.until(() => a.probe.messages.length > 0, 'legit message');
    expect(a.probe.messages.map((m) => [m.from, m.index])).toEqual([['n2', 1]]);
    const refusals = a.probe.warnings.filter((w) => w.includes('n3 is not welcome'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('refused an inbound stream');
  });

  it('refuses when the hook throws', async () => {
    const a = await node('n1', {
      authorizePeer: () => {
        throw new Error('denylist unavailable');
      },
    });
    const b = await node('n2');
    b.t.setPeer('n1', a.address);
    b.t.send([app('n2', 'n1', 1)]);
    await a.probe.until(
      () => a.probe.warnings.some((w) => w.includes('denylist unavailable')),
      'refusal',
    );
    expect(a.probe.messages).toEqual([]);
  });

  it('cuts a long-lived stream once its peer is no longer authorized', async () => {
    let allowed = true;
    const a = await node('n1', {
      authorizePeer: () => (allowed ? undefined : 'removed from the cluster'),
      reauthorizeIntervalMs: 20,
    });
    const b = await node('n2');
    b.t.setPeer('n1', a.address);
    b.t.send([app('n2', 'n1', 1)]);
    await a.probe.until(() => a.probe.messages.length === 1, 'first delivery');
    allowed = false;
    await new Promise((r) => setTimeout(r, 50));
    b.t.send([app('n2', 'n1', 2)]);
    await a.probe.until(
      () => a.probe.warnings.some((w) => w.includes('removed from the cluster')),
      'refusal mid-stream',
    );
    b.t.send([app('n2', 'n1', 3)]);
    await b.probe.until(() => b.probe.unreachable.includes('n1'), 'stream cut');
    expect(indexes(a.probe.messages)).toEqual([1]);
  });

  it('refuses InstallSnapshot from a peer it rejects', async () => {
    const a = await node('n1', { authorizePeer: () => 'not a manager' });
    const b = await node('n2');
    b.t.setPeer('n1', a.address);
    b.t.send([snapshotMessage('n2', 'n1', new Uint8Array(1000))]);
    await b.probe.until(() => b.probe.snapshots.length > 0, 'snapshot status');
    expect(b.probe.snapshots).toEqual([['n1', false]]);
    expect(a.probe.messages).toEqual([]);
    expect(a.probe.warnings.some((w) => w.includes('refused an inbound snapshot'))).toBe(true);
  });
});

describe('GrpcTransport frame sizes', () => {
  /**
   * A bare RaftTransport server that records the size of every message frame it decodes, so
   * the test sees exactly what crossed the wire.
   */
  async function recordingServer() {
    const frames = { stream: [] as number[], snapshot: [] as number[] };
    const batches: PbRaftBatchOut[] = [];
    const service = loadRaftProto().shoal.raft.v1.RaftTransport.service;
    const measured = {
      Stream: {
        ...service.Stream,
        requestDeserialize: (buf: Buffer) => {
          frames.stream.push(buf.length);
          return service.Stream.requestDeserialize(buf);
        },
      },
      InstallSnapshot: {
        ...service.InstallSnapshot,
        requestDeserialize: (buf: Buffer) => {
          frames.snapshot.push(buf.length);
          return service.InstallSnapshot.requestDeserialize(buf);
        },
      },
    };
    const probe = new Probe();
    const impl: PbRaftTransportHandlers = {
      Stream: (call, cb) => {
        call.sendMetadata(new grpc.Metadata());
        call.on('data', (b: PbRaftBatchOut) => {
          batches.push(b);
          probe.changed();
        });
        call.on('end', () => cb(null, {}));
      },
      InstallSnapshot: (call, cb) => {
        const asm = new SnapshotAssembler(64 * MiB);
        call.on('data', (c: PbSnapshotChunkOut) => asm.push(c));
        call.on('end', () => {
          probe.onMessage(asm.finish());
          cb(null, { receivedBytes: asm.receivedBytes });
        });
      },
    };
    const server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    });
    server.addService(measured, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpcCredentialsFor(pki, 'n2').server, (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    running.push({ stop: async () => server.forceShutdown() });
    return { frames, batches, probe, address: `127.0.0.1:${port}` };
  }

  it('chunks a snapshot into frames of at most 4 MiB, even at the largest chunk size', async () => {
    const rec = await recordingServer();
    const a = await node('n1', { snapshotChunkBytes: MAX_SNAPSHOT_CHUNK_BYTES });
    a.t.setPeer('n2', rec.address);
    const data = new Uint8Array(randomBytes(10 * MiB));
    a.t.send([snapshotMessage('n1', 'n2', data)]);
    await a.probe.until(() => a.probe.snapshots.length > 0, 'snapshot status');
    expect(a.probe.snapshots).toEqual([['n2', true]]);
    expect(Buffer.compare(rec.probe.messages[0].snapshot!.data, data)).toBe(0);
    // Header, then ceil(10 MiB / chunk) data frames.
    expect(rec.frames.snapshot).toHaveLength(1 + Math.ceil(data.length / MAX_SNAPSHOT_CHUNK_BYTES));
    expect(Math.max(...rec.frames.snapshot)).toBeLessThanOrEqual(MAX_GRPC_MESSAGE_BYTES);
  });

  it('splits queued messages into batches of at most 4 MiB', async () => {
    const rec = await recordingServer();
    const a = await node('n1');
    a.t.setPeer('n2', rec.address);
    const entry = new Uint8Array(randomBytes(MiB));
    a.t.send(Array.from({ length: 12 }, (_, i) => app('n1', 'n2', i, entry)));
    const total = () => rec.batches.reduce((n, b) => n + b.messages.length, 0);
    await rec.probe.until(() => total() === 12, 'all 12 messages');
    expect(rec.batches.flatMap((b) => b.messages.map((m) => m.index))).toEqual(range(12));
    expect(rec.frames.stream.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...rec.frames.stream)).toBeLessThanOrEqual(MAX_GRPC_MESSAGE_BYTES);
  });
});
