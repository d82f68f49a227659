import * as grpc from '@grpc/grpc-js';
import { UnavailableError, loadManagerProto, type PbManagerControlClient } from '@shoal/api';
import { MANAGER_ROLE_OU } from '@shoal/ca';
import { type Logger } from '@shoal/common';
import { NotLeaderError, type RaftDriver } from '@shoal/raft';
import { type Proposer } from '@shoal/store';
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
export class ForwardingProposer implements Proposer {
  private readonly clients = new Map<string, PbManagerControlClient>();

  constructor(
    private readonly driver: () => RaftDriver,
    private readonly credentials: grpc.ChannelCredentials,
    private readonly timeoutMs: number,
  ) {}

  async propose(data: Uint8Array): Promise<{ index: number }> {
    try {
      return await this.driver().propose(data);
    } catch (err) {
      if (!(err instanceof NotLeaderError) || !err.leaderAddress) throw toApiError(err);
      const index = await this.forward(err.leaderAddress, data);
      await this.driver()
        .readBarrier()
        .catch((e: unknown) => {
          throw toApiError(e);
        });
      return { index };
    }
  }

  private forward(address: string, data: Uint8Array): Promise<number> {
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      client.Propose(
        { data: Buffer.from(data) },
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => {
          if (err || !res) {
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

  private client(address: string): PbManagerControlClient {
    let c = this.clients.get(address);
    if (!c) {
      const Ctor = loadManagerProto().shoal.manager.v1.ManagerControl;
      c = new Ctor(address, this.credentials);
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** The leader's side of forwarding, served on the cluster port. */
export function managerControlService(
  driver: () => RaftDriver,
  logger: Logger,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const implementation = {
    Propose: (
      call: grpc.ServerUnaryCall<{ data: Buffer }, { index: number }>,
      callback: grpc.sendUnaryData<{ index: number }>,
    ) => {
      const ou: unknown = call.getAuthContext().sslPeerCertificate?.subject?.OU;
      if (ou !== MANAGER_ROLE_OU) {
        logger.warn('refused a forwarded write from a non-manager', { peer: call.getPeer() });
        callback({
          code: grpc.status.PERMISSION_DENIED,
          details: 'only managers may forward writes',
        });
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
              code:
                err instanceof NotLeaderError
                  ? grpc.status.FAILED_PRECONDITION
                  : grpc.status.UNAVAILABLE,
              details: err.message,
            }),
        );
    },
  };
  return {
    definition: loadManagerProto().shoal.manager.v1.ManagerControl.service,
    implementation,
  };
}
