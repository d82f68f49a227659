import * as grpc from '@grpc/grpc-js';
import {
  UnavailableError,
  loadManagerProto,
  type PbLogsMessage,
  type PbLogsRequestOut,
  type PbManagerControlClient,
} from '@shoal/api';
import { MANAGER_ROLE_OU } from '@shoal/ca';
import { type HasAuthContext, peerCertificateOf } from '@shoal/ca/grpc';
import { type Logger } from '@shoal/common';
import { type LogBroker } from '@shoal/dispatcher';
import { NotLeaderError, ProposalDroppedError, type RaftDriver } from '@shoal/raft';
import { type Proposer } from '@shoal/store';
import { type ClusterPeerAuthorizer } from './cluster-port';
import { serveLogs } from './log-forwarding';
import { toApiError } from './raft-errors';

/**
 * Writes may reach any manager. A follower cannot append to the Raft log, so it forwards the
 * serialized store proposal to the leader over the cluster port (mTLS, managers only); the
 * leader proposes it and answers with the Raft index once applied. The follower then waits
 * for its own state machine to reach that index (a read barrier), so the caller reads its
 * own write on the manager it wrote through.
 *
 * Forwarding happens at the proposal level rather than by proxying HTTP: the proposal already
 * carries its preconditions (the versions it read), which the leader re-checks at apply time
 * like every other manager, and the API socket stays local to each host.
 */
/** Tries per write; each waits for the next leader (an election takes 0.5–1 s by default). */
const MAX_ATTEMPTS = 3;
const LEADER_WAIT_MS = 3_000;

/** Resolves at the next leader change that names a leader, or after `timeoutMs`. */
export function waitForLeader(driver: RaftDriver, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const off = driver.onLeaderChange((leader) => {
      if (leader) done();
    });
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

class LeaderMovedError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

export class ForwardingProposer implements Proposer {
  private readonly clients = new Map<string, PbManagerControlClient>();

  constructor(
    private readonly driver: () => RaftDriver,
    private readonly credentials: grpc.ChannelCredentials,
    private readonly timeoutMs: number,
  ) {}

  /**
   * During an election there is briefly no leader. A write that was certainly not appended
   * (no leader here, or the node we forwarded to said it no longer leads) waits for the next
   * leader and is tried again, a bounded number of times, instead of failing the client.
   * Anything that may have been appended is never retried: that could apply it twice.
   */
  async propose(data: Uint8Array): Promise<{ index: number }> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.proposeOnce(data);
      } catch (err) {
        // Dropped proposals (a leadership transfer in progress, say) were never appended.
        const notAppended =
          err instanceof NotLeaderError ||
          err instanceof ProposalDroppedError ||
          err instanceof LeaderMovedError;
        if (!notAppended || attempt >= MAX_ATTEMPTS || Date.now() >= deadline) {
          throw toApiError(err instanceof LeaderMovedError ? err.cause : err);
        }
        await this.nextLeader(deadline - Date.now());
      }
    }
  }

  private async proposeOnce(data: Uint8Array): Promise<{ index: number }> {
    try {
      return await this.driver().propose(data);
    } catch (err) {
      if (!(err instanceof NotLeaderError) || !err.leaderAddress) throw err;
      const index = await this.forward(err.leaderAddress, data);
      await this.driver()
        .readBarrier()
        .catch((e: unknown) => {
          throw toApiError(e);
        });
      return { index };
    }
  }

  private nextLeader(timeoutMs: number): Promise<void> {
    return waitForLeader(this.driver(), Math.min(timeoutMs, LEADER_WAIT_MS));
  }

  private forward(address: string, data: Uint8Array): Promise<number> {
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      client.Propose(
        { data: Buffer.from(data) },
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => {
          if (err?.code === grpc.status.FAILED_PRECONDITION) {
            // The node we forwarded to no longer leads and appended nothing: safe to retry.
            reject(new LeaderMovedError(new UnavailableError(`the leader moved: ${err.details}`)));
          } else if (err || !res) {
            reject(
              new UnavailableError(
                `could not forward the write to the leader at ${address}: ${err?.details ?? 'no answer'}; ` +
                  'the write may or may not have been applied; read the object back before retrying',
              ),
            );
          } else {
            resolve(Number(res.index));
          }
        },
      );
    });
  }

  /** The ManagerControl client for `address`; shared by forwarded writes and log requests. */
  client(address: string): PbManagerControlClient {
    let c = this.clients.get(address);
    if (!c) {
      const Ctor = loadManagerProto().shoal.manager.v1.ManagerControl;
      c = new Ctor(address, this.credentials, {
        // A followed log stream can stay quiet for hours; a silently dead leader must still
        // end it (with a warning to the client) rather than leave it hanging.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      });
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/**
 * The leader's side of forwarding, served on the cluster port. `authorizePeer` (production:
 * managerOnlyAuthorizer) verifies the caller's certificate per call; without it, only the OU
 * of the certificate TLS verified is checked, which is enough only on a port that requires
 * client certificates and knows no removed nodes. `logs` gives the leader's running log
 * broker (undefined until its leader services have started, and on any other manager).
 */
export function managerControlService(
  driver: () => RaftDriver,
  logger: Logger,
  authorizePeer?: ClusterPeerAuthorizer,
  logs: () => LogBroker | undefined = () => undefined,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  /** Why the caller may not use ManagerControl, or undefined when it may. */
  const refusal = (
    call: HasAuthContext & { getPeer(): string },
    what: string,
  ): grpc.StatusObject | undefined => {
    const peer = peerCertificateOf(call);
    const reason = authorizePeer
      ? authorizePeer(peer)
      : call.getAuthContext().sslPeerCertificate?.subject?.OU === MANAGER_ROLE_OU
        ? undefined
        : 'not a manager certificate';
    if (reason === undefined) return undefined;
    logger.warn(`refused a forwarded ${what}`, { peer: call.getPeer(), reason });
    return {
      code: peer.certificateDer ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED,
      details: `only managers may forward ${what}s: ${reason}`,
      metadata: new grpc.Metadata(),
    };
  };
  const implementation = {
    Propose: (
      call: grpc.ServerUnaryCall<{ data: Buffer }, { index: number }>,
      callback: grpc.sendUnaryData<{ index: number }>,
    ) => {
      const refused = refusal(call, 'write');
      if (refused) {
        callback(refused);
        return;
      }
      // Not forwarded again: one hop, or a follower with a stale idea of the leader could
      // bounce a write around during an election.
      Promise.resolve()
        .then(() => driver().propose(call.request.data))
        .then(
          ({ index }) => callback(null, { index }),
          (err: Error) =>
            callback({
              // Both mean "not appended": the follower may safely try the next leader.
              code:
                err instanceof NotLeaderError || err instanceof ProposalDroppedError
                  ? grpc.status.FAILED_PRECONDITION
                  : grpc.status.UNAVAILABLE,
              details: err.message,
            }),
        );
    },
    Logs: (call: grpc.ServerWritableStream<PbLogsRequestOut, PbLogsMessage>) => {
      const refused = refusal(call, 'log request');
      if (refused) {
        call.emit('error', refused);
        return;
      }
      // One hop, as for writes: a manager that does not lead refuses rather than forwards.
      const broker = logs();
      if (!broker) {
        const leading = (() => {
          try {
            return driver().isLeader();
          } catch {
            return false;
          }
        })();
        call.emit('error', {
          code: leading ? grpc.status.UNAVAILABLE : grpc.status.FAILED_PRECONDITION,
          details: leading
            ? 'the leader is still starting its dispatcher; try again in a moment'
            : 'this manager is not the leader',
        });
        return;
      }
      serveLogs(call, broker, logger);
    },
  };
  return {
    definition: loadManagerProto().shoal.manager.v1.ManagerControl.service,
    implementation,
  };
}
