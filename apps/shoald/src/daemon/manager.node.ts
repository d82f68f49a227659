import { aesGcmCipher, type Clock, type IdGenerator, type Logger } from '@shoal/common';
import {
  DRIVER_DEFAULTS,
  GrpcTransport,
  NotLeaderError,
  RaftDriver,
  type RaftMemberAddress,
} from '@shoal/raft';
import { MemoryStore } from '@shoal/store';
import { nodeCaService, peerCertificateAuthorizer, type NodeTlsMaterial } from '@shoal/ca/grpc';
import { dispatcherService, type LogRequest, type LogSink } from '@shoal/dispatcher';
import { type StoredCluster, type StoredNode } from '../control/stored.types';
import {
  clusterPortCredentials,
  managerOnlyAuthorizer,
  type ClusterPortCredentials,
} from './cluster-port';
import { StoreNodeAdmission } from './node-admission';
import { type ManagerHandle, type RaftMemberView } from '../manager/swarm-runtime.port';
import { ForwardingProposer, managerControlService, waitForLeader } from './leader-forwarding';
import { forwardLogs } from './log-forwarding';
import { LeaderServices } from './leader-services';
import { toApiError } from './raft-errors';
import { UnavailableError } from '@shoal/api';
import { type NodeState, type StateDir } from './state-dir';
import { type Registry } from '@shoal/metrics';
import { ManagerMetrics } from '../metrics/manager.metrics';

/** How often the leader reconciles Raft membership with the Node objects. */
const PROMOTE_CHECK_MS = 250;

/** As long as the leader's own proposal timeout, so a forwarded write is not abandoned early. */
const FORWARD_TIMEOUT_MS = DRIVER_DEFAULTS.proposalTimeoutMs;

export interface ManagerNodeOptions {
  node: NodeState;
  stateDir: StateDir;
  /** Only for a new cluster (`swarm init`): its founding voters, this node among them. */
  bootstrap?: RaftMemberAddress[];
  /** This manager's key for its Raft WAL and snapshots. */
  dataKey: Uint8Array;
  /** `swarm init --force-new-cluster`: restart as the only voter, keeping the state. */
  forceNewCluster?: boolean;
  /** For a joining manager: the managers it was admitted by, so it can answer the leader. */
  peers?: RaftMemberAddress[];
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  /** Raft tick override for tests; the driver's default otherwise. */
  tickMs?: number;
  /** The daemon's registry (--metrics-addr): Raft and store series while this runs. */
  metrics?: Registry;
}

/**
 * The manager components of one node: the replicated store on top of the Raft driver, talking
 * to the other managers over mTLS. Built when the node becomes (or restarts as) a manager.
 */
export class ManagerNode implements ManagerHandle {
  private constructor(
    readonly store: MemoryStore,
    private readonly driver: RaftDriver,
    private readonly proposer: ForwardingProposer,
    private readonly credentials: ClusterPortCredentials,
    readonly clock: Clock,
    readonly newId: IdGenerator,
    private readonly log: Logger,
    private readonly metrics: ManagerMetrics | undefined,
  ) {
    this.membershipTimer = setInterval(() => void this.reconcileMembership(), PROMOTE_CHECK_MS);
    this.membershipTimer.unref();
  }

  private readonly membershipTimer: NodeJS.Timeout;
  private leaderServices?: LeaderServices;
  private reconciling = false;

  static async start(o: ManagerNodeOptions): Promise<ManagerNode> {
    const material = await loadTlsMaterial(o.stateDir);
    const credentials = clusterPortCredentials(material);
    // The driver is built after the store it applies to, and the transport serving forwarded
    // writes and admissions is built before both; until they exist, such calls are refused.
    const ref: { driver?: RaftDriver; manager?: ManagerNode } = {};
    const getDriver = (): RaftDriver => {
      if (!ref.driver) throw new UnavailableError('this manager is still starting');
      return ref.driver;
    };
    const getManager = (): ManagerNode => {
      if (!ref.manager) throw new UnavailableError('this manager is still starting');
      return ref.manager;
    };
    // Removed nodes are listed in the cluster object, and a demoted manager's certificate
    // still says manager until it is re-issued: both are refused. A node merely absent from
    // this manager's store (it may still be replaying the log) is not.
    const isRemoved = (nodeId: string) =>
      ref.manager?.store.view((tx) =>
        (tx.list<StoredCluster>('cluster')[0]?.RemovedNodes ?? []).includes(nodeId),
      ) ?? false;
    const isDenied = (nodeId: string) =>
      ref.manager?.store.view(
        (tx) =>
          (tx.list<StoredCluster>('cluster')[0]?.RemovedNodes ?? []).includes(nodeId) ||
          tx.get<StoredNode>('node', nodeId)?.Spec?.Role === 'worker',
      ) ?? false;
    const managersOnly = managerOnlyAuthorizer(material.caPem, isDenied);
    const transport = new GrpcTransport({
      id: o.node.nodeId,
      listenAddress: o.node.listenAddr,
      credentials,
      authorizePeer: managersOnly,
      logger: o.logger.child({ component: 'raft-transport' }),
      extraServices: [
        managerControlService(
          getDriver,
          o.logger.child({ component: 'forwarding' }),
          managersOnly,
          () => ref.manager?.dispatch()?.logs,
        ),
        nodeCaService(
          {
            rootCaPem: () => material.caPem,
            admit: (req) => new StoreNodeAdmission(getManager(), material.caPem).admit(req),
            renew: (req) => new StoreNodeAdmission(getManager(), material.caPem).renew(req),
            nodeRole: (req) => new StoreNodeAdmission(getManager(), material.caPem).nodeRole(req),
          },
          { logger: o.logger.child({ component: 'node-ca' }) },
        ),
        dispatcherService({
          current: () => ref.manager?.dispatch(),
          // Never this node's own address: agents would come straight back here.
          leaderAddr: () => (ref.manager?.isLeader() ? undefined : ref.manager?.leaderAddr()),
          // Agents of either role; removed nodes are refused.
          authorizePeer: peerCertificateAuthorizer({ caPem: material.caPem, isDenied: isRemoved }),
          logger: o.logger.child({ component: 'dispatcher' }),
        }),
      ],
    });
    const proposer = new ForwardingProposer(getDriver, credentials.client, FORWARD_TIMEOUT_MS);
    const metrics = o.metrics ? new ManagerMetrics(o.metrics, o.logger) : undefined;
    const store = new MemoryStore({
      proposer,
      clock: o.clock,
      newId: o.newId,
      metrics: metrics?.store,
    });
    // On a failed start, free the names so that a later attempt (or promotion) can register.
    const failed = (err: unknown) => {
      metrics?.unregister();
      throw err;
    };
    ref.driver = await RaftDriver.start({
      id: o.node.nodeId,
      dataDir: o.stateDir.raftDir,
      transport,
      stateMachine: store,
      bootstrap: o.bootstrap,
      peers: o.peers,
      // The log holds the root CA key and everything else in the store: never in clear.
      cipher: aesGcmCipher(o.dataKey),
      forceNewCluster: o.forceNewCluster,
      tickMs: o.tickMs,
      logger: o.logger.child({ component: 'raft' }),
      metrics: metrics?.raft,
    }).catch(failed);
    metrics?.attach(ref.driver, store);
    const manager = new ManagerNode(
      store,
      ref.driver,
      proposer,
      credentials,
      o.clock,
      o.newId,
      o.logger,
      metrics,
    );
    ref.manager = manager;
    manager.leaderServices = new LeaderServices(
      ref.driver,
      store,
      o.clock,
      o.newId,
      o.logger.child({ component: 'leader' }),
      o.metrics,
    );
    // The driver and the leader services (with their metrics) run by now: a manager that
    // never comes up must not leave them running, or a later promotion finds the leader
    // series' names taken and exports none. stop() also unregisters the manager metrics.
    await manager.caughtUp().catch(async (err: unknown) => {
      await manager.stop().catch((stopErr: unknown) =>
        o.logger.warn('manager not stopped cleanly after a failed start', {
          err: `${stopErr}`,
        }),
      );
      throw err;
    });
    return manager;
  }

  /**
   * Waits until a leader is known and this node has applied everything committed before now,
   * so the API never serves a half-replayed store after a restart.
   */
  private async caughtUp(): Promise<void> {
    if (!this.driver.leaderId()) {
      await new Promise<void>((resolve) => {
        const off = this.driver.onLeaderChange((leader) => {
          if (leader) {
            off();
            resolve();
          }
        });
      });
    }
    await this.readBarrier();
  }

  /** Like writes, a read that finds no leader (mid-election) waits for the next one, briefly. */
  async readBarrier(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.driver.readBarrier();
        return;
      } catch (err) {
        if (!(err instanceof NotLeaderError) || attempt >= 3) throw toApiError(err);
        await waitForLeader(this.driver, 3_000);
      }
    }
  }

  /** A renewed certificate: new connections, both ways, use it; open ones keep theirs. */
  updateTlsMaterial(material: NodeTlsMaterial): void {
    this.credentials.update(material);
    // Forwarding channels are long-lived; drop them so the next call handshakes anew.
    this.proposer.close();
  }

  /** Whether this node is still in the Raft configuration (a demoted one is removed). */
  isRaftMember(): boolean {
    const s = this.driver.status();
    return s.members.some((m) => m.id === s.id);
  }

  /** The swarm's unlock key when autolock is on, from the replicated cluster object. */
  unlockKey(): string | undefined {
    return this.store.view((tx) => {
      const c = tx.list<StoredCluster>('cluster')[0];
      return c?.Spec?.EncryptionConfig?.AutoLockManagers ? c.UnlockKey : undefined;
    });
  }

  /** This node's role as the replicated store has it. */
  roleInStore(nodeId: string): string | undefined {
    return this.store.view((tx) => tx.get<StoredNode>('node', nodeId)?.Spec?.Role);
  }

  leaderId(): string | undefined {
    return this.driver.leaderId();
  }

  /** The leader's cluster address, as Raft knows it. */
  leaderAddr(): string | undefined {
    const s = this.driver.status();
    return s.members.find((m) => m.id === s.leader)?.address;
  }

  /** The leader's dispatcher and log broker, when this node leads. */
  dispatch(): ReturnType<LeaderServices['dispatch']> {
    return this.leaderServices?.dispatch();
  }

  isLeader(): boolean {
    return this.driver.isLeader();
  }

  /**
   * The leader serves logs from its own broker; another manager forwards the request to the
   * leader it knows. No retry: a request refused here leaves the client free to ask again,
   * and nothing was subscribed anywhere.
   */
  async openLogs(req: LogRequest, sink: LogSink): Promise<() => void> {
    const running = this.dispatch();
    if (running) return running.logs.subscribe(req, sink);
    if (this.driver.isLeader()) {
      throw new UnavailableError(
        'this manager has just become the leader and is still starting its dispatcher; try again in a moment',
      );
    }
    const leader = this.leaderAddr();
    if (!leader) {
      throw new UnavailableError(
        'no leader is elected at the moment, and only the leader reaches the agents for logs; try again in a moment',
      );
    }
    return forwardLogs(this.proposer.client(leader), leader, req, sink);
  }

  members(): RaftMemberView[] {
    const s = this.driver.status();
    return s.members
      .filter((m) => m.voter)
      .map((m) => ({
        id: m.id,
        addr: m.address ?? '',
        // The leader knows whom it heard from lately; another manager knows only itself and
        // the leader it follows, and reports the others as it last saw them: reachable.
        reachable: m.id === s.id || m.id === s.leader || (m.recentActive ?? true),
        leader: m.id === s.leader,
      }));
  }

  /**
   * On the leader, Raft membership follows the Node objects (as in swarmkit): an admitted
   * manager enters Raft as a learner (it cannot vote, so a slow or failed join never costs the
   * cluster its quorum) and becomes a voter once it has every committed entry. Called on a
   * timer; one membership change at a time.
   */
  private async reconcileMembership(): Promise<void> {
    if (this.reconciling || !this.driver.isLeader()) return;
    const s = this.driver.status();
    const inRaft = new Set(s.members.map((m) => m.id));
    // Admitted managers (any manager may admit one: it writes the Node) enter as learners.
    const admitted = this.store.view((tx) =>
      tx
        .list<StoredNode>('node')
        .find((n) => n.Spec?.Role === 'manager' && n.ManagerStatus?.Addr && !inRaft.has(n.ID)),
    );
    const ready = s.members.find(
      (m) => !m.voter && m.address && m.match !== undefined && m.match >= s.commit,
    );
    // Demoted managers leave Raft; the API's quorum guard has already refused unsafe ones.
    const demoted = this.store.view((tx) =>
      s.members.find((m) => tx.get<StoredNode>('node', m.id)?.Spec?.Role === 'worker'),
    );
    if (!admitted && !ready && !demoted) return;
    this.reconciling = true;
    try {
      if (demoted?.id === s.id) {
        // A leader cannot remove itself cleanly: hand over, and the next leader removes it.
        await this.driver.transferLeadership();
      } else if (demoted) {
        await this.driver.removeMember(demoted.id);
        this.log.info('removed a demoted manager from raft', { node: demoted.id });
        // Its Raft address goes too, or a later promotion would re-add the stale one.
        await this.store.update((tx) => {
          const node = tx.get<StoredNode>('node', demoted.id);
          if (!node?.ManagerStatus) return;
          const { ManagerStatus: _gone, ...rest } = structuredClone(node);
          tx.update<StoredNode>('node', rest as StoredNode);
        });
      } else if (admitted) {
        await this.driver.addLearner(admitted.ID, admitted.ManagerStatus!.Addr!);
        this.log.info('added a joining manager to raft as a learner', { node: admitted.ID });
      } else if (ready) {
        await this.driver.addVoter(ready.id, ready.address!);
        this.log.info('promoted a caught-up learner to voter', { node: ready.id });
      }
    } catch (err) {
      // Another change in flight, or leadership lost: the next round tries again.
      this.log.debug('membership change deferred', { err: (err as Error).message });
    } finally {
      this.reconciling = false;
    }
  }

  /** Hands leadership to another manager first when asked to, so writes barely pause. */
  async stop(opts: { transferLeadership?: boolean } = {}): Promise<void> {
    this.metrics?.unregister();
    clearInterval(this.membershipTimer);
    this.leaderServices?.stop();
    await this.driver.stop({ transferLeadership: opts.transferLeadership ?? false });
    this.proposer.close();
  }
}

async function loadTlsMaterial(stateDir: StateDir): Promise<NodeTlsMaterial> {
  return {
    caPem: await stateDir.readCertificate('ca.crt'),
    certPem: await stateDir.readCertificate('node.crt'),
    keyPem: await stateDir.readCertificate('node.key'),
  };
}
