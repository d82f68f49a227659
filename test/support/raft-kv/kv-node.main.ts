/**
 * One member of the replicated KV used by the crash test, the demo and the benchmarks: a Raft
 * driver with an on-disk WAL, the gRPC Raft transport and a gRPC client API, all over mTLS.
 *
 *   kv-node --id n1 --data-dir DIR --raft-addr H:P --client-addr H:P --pki-dir DIR
 *           --peers n1=H:P=H:P,n2=...   [--no-fsync] [--tick-ms N] [--election-ticks N]
 *           [--snapshot-entries N] [--no-applied-order]
 *
 * Prints one JSON line with "ready":true on stdout once it serves; SIGTERM stops it gracefully
 * (leadership is handed over first).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@shoal/common';
import {
  NotLeaderError,
  ProposalDroppedError,
  RaftDriver,
  type RaftDriverOptions,
} from '@shoal/raft/node';
import { GrpcTransport } from '@shoal/raft/transport';
import { KvStateMachine } from './kv.state-machine';
import {
  type GetRequest,
  type PutRequest,
  notAppliedError,
  notLeaderError,
  outcomeUnknownError,
  raftKvServiceDefinition,
} from './kv.protocol';

const CLIENT_REDIRECT_GRACE_MS = 1_000;

interface Peer {
  id: string;
  raft: string;
  client: string;
}

function parseConfig() {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      'data-dir': { type: 'string' },
      'raft-addr': { type: 'string' },
      'client-addr': { type: 'string' },
      'pki-dir': { type: 'string' },
      peers: { type: 'string' },
      'no-fsync': { type: 'boolean', default: false },
      'tick-ms': { type: 'string' },
      'election-ticks': { type: 'string' },
      'snapshot-entries': { type: 'string' },
      // The applied-order log exists for the crash test's checks; benchmarks turn it off.
      'no-applied-order': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const need = (k: keyof typeof values) => {
    const v = values[k];
    if (typeof v !== 'string' || v === '') throw new Error(`--${k} is required`);
    return v;
  };
  const int = (k: 'tick-ms' | 'election-ticks' | 'snapshot-entries') => {
    const v = values[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${k} must be a positive integer`);
    return n;
  };
  const peers: Peer[] = need('peers')
    .split(',')
    .map((p) => {
      const [id, raft, client] = p.split('=');
      if (!id || !raft || !client) throw new Error(`--peers entry "${p}" is not id=raft=client`);
      return { id, raft, client };
    });
  return {
    id: need('id'),
    dataDir: need('data-dir'),
    raftAddr: need('raft-addr'),
    clientAddr: need('client-addr'),
    pkiDir: need('pki-dir'),
    peers,
    fsync: !values['no-fsync'],
    tickMs: int('tick-ms'),
    electionTicks: int('election-ticks'),
    snapshotEntries: int('snapshot-entries'),
    keepAppliedOrder: !values['no-applied-order'],
  };
}

function credentials(pkiDir: string, id: string) {
  const read = (f: string) => readFileSync(path.join(pkiDir, f));
  const ca = read('ca.pem');
  const cert = read(`${id}.pem`);
  const key = read(`${id}-key.pem`);
  return {
    server: grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
    client: grpc.credentials.createSsl(ca, key, cert),
  };
}

async function main(): Promise<void> {
  const cfg = parseConfig();
  const log = createLogger({ name: 'kv-node', level: 'info' }).child({ node: cfg.id });
  const creds = credentials(cfg.pkiDir, cfg.id);
  const clientAddressOf = new Map(cfg.peers.map((p) => [p.id, p.client]));
  const members = cfg.peers.map((p) => ({ id: p.id, address: p.raft }));
  const sm = new KvStateMachine(cfg.keepAppliedOrder);
  let stopping = false;

  const options: RaftDriverOptions = {
    id: cfg.id,
    dataDir: cfg.dataDir,
    transport: new GrpcTransport({
      id: cfg.id,
      listenAddress: cfg.raftAddr,
      credentials: creds,
      logger: log.child({ component: 'transport' }),
    }),
    stateMachine: sm,
    bootstrap: members,
    peers: members,
    fsync: cfg.fsync,
    tickMs: cfg.tickMs,
    electionTicks: cfg.electionTicks,
    snapshotEntries: cfg.snapshotEntries,
    logger: log,
  };
  const driver = await RaftDriver.start(options);

  const notLeader = () => {
    const lead = driver.leaderId();
    return notLeaderError(lead, lead ? clientAddressOf.get(lead) : undefined);
  };
  const failure = (err: unknown) => {
    if (err instanceof NotLeaderError) return notLeader();
    if (err instanceof ProposalDroppedError) return notAppliedError(err.message);
    return outcomeUnknownError(err instanceof Error ? err.message : String(err));
  };

  const server = new grpc.Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  server.addService(raftKvServiceDefinition(), {
    Put: (
      call: grpc.ServerUnaryCall<PutRequest, unknown>,
      cb: grpc.sendUnaryData<{ index: number }>,
    ) => {
      const { key, value } = call.request;
      if (!key) return cb(notAppliedError('key must be a non-empty string'));
      // Stopping: send new writes elsewhere without proposing them, so retrying is safe.
      if (stopping) {
        return cb(driver.isLeader() ? notAppliedError('node is shutting down') : notLeader());
      }
      driver.propose(KvStateMachine.encodePut(key, value)).then(
        ({ index }) => cb(null, { index }),
        (err: unknown) => cb(failure(err)),
      );
    },
    Get: (call: grpc.ServerUnaryCall<GetRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      if (!driver.isLeader()) return cb(notLeader());
      driver.readBarrier().then(
        () => {
          const value = sm.get(call.request.key);
          cb(null, {
            value: value ?? Buffer.alloc(0),
            found: value !== undefined,
            index: driver.status().applied,
          });
        },
        (err: unknown) => cb(failure(err)),
      );
    },
    Dump: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      cb(null, { keys: sm.appliedOrder(), applied: driver.status().applied });
    },
    Status: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const s = driver.status();
      cb(null, {
        id: s.id,
        leaderId: s.leader ?? '',
        leaderClientAddress: s.leader ? (clientAddressOf.get(s.leader) ?? '') : '',
        term: s.term,
        commit: s.commit,
        applied: s.applied,
        role: s.role,
      });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(cfg.clientAddr, creds.server, (err) => (err ? reject(err) : resolve())),
  );

  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    log.info('SIGTERM: handing over leadership and stopping');
    void driver
      .stop({ transferLeadership: true })
      // Keep answering "not leader" for a moment so clients learn where to go instead of
      // meeting a closed port, whose failure they could not tell from a lost write.
      .then(() => new Promise((r) => setTimeout(r, CLIENT_REDIRECT_GRACE_MS)))
      .then(() => new Promise<void>((r) => server.tryShutdown(() => r())))
      .then(() => process.exit(0));
  });

  process.stdout.write(`${JSON.stringify({ ready: true, id: cfg.id, pid: process.pid })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`kv-node: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
