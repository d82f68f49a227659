import {
  ALREADY_IN_SWARM_MESSAGE,
  NOT_A_MANAGER_MESSAGE,
  type NodeDescription,
  InvalidArgumentError,
  NotImplementedError,
  type SwarmSpec,
  UnavailableError,
} from '@shoal/api';
import { type Clock, type IdGenerator, objectIdGenerator, systemClock } from '@shoal/common';
import { type LogRequest, type LogSink } from '@shoal/dispatcher';
import { MemoryStore } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { bootstrapClusterState } from '../../control/swarm-bootstrap';
import { NO_SWARM_MESSAGE } from '../../control/swarm.control';
import { testRootCa } from '../../control/testing/test-root-ca';
import {
  type LocalNodeState,
  type ManagerHandle,
  type RaftMemberView,
  type SwarmInitParams,
  type SwarmRuntime,
} from '../../manager/swarm-runtime.port';

/** Docker's refusal to let the last manager leave without --force. */
export const LAST_MANAGER_LEAVE_MESSAGE =
  'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.';

export interface MemorySwarmRuntimeOptions {
  /** Default: the system clock. Pass a ManualClock for reproducible timestamps. */
  clock?: Clock;
  /** Default: random IDs. Pass objectIdGenerator(seededRandomBytes(n)) for reproducible ones. */
  newId?: IdGenerator;
  hostname?: string;
  /** The Raft port reported in ManagerStatus.Addr. */
  raftPort?: number;
}

/** A log subscription the memory handle took; a test plays the broker and agents on `sink`. */
export interface MemoryLogSubscription {
  req: LogRequest;
  sink: LogSink;
  cancelled: boolean;
}

/** A one-manager swarm's handle: the store applies proposals at once, reads need no barrier. */
export class MemoryManagerHandle implements ManagerHandle {
  /** How many reads asked for a barrier; tests check the control layer asks. */
  readBarriers = 0;
  /** Replaces the Raft membership the control layer sees (for multi-manager cases). */
  membersOverride: RaftMemberView[] | undefined;
  /** Every log subscription opened, oldest first. */
  readonly logSubscriptions: MemoryLogSubscription[] = [];
  /** When set, openLogs rejects with it, as when no leader can take the request. */
  logsRefusal: Error | undefined;
  /** Runs as each subscription opens, e.g. to answer at once as a broker may. */
  onLogSubscription: ((sub: MemoryLogSubscription) => void) | undefined;

  constructor(
    readonly store: MemoryStore,
    readonly proposer: DirectProposer,
    readonly clock: Clock,
    readonly newId: IdGenerator,
    private readonly self: RaftMemberView,
  ) {}

  async readBarrier(): Promise<void> {
    this.readBarriers++;
  }

  leaderId(): string | undefined {
    return this.members().find((m) => m.leader)?.id;
  }

  isLeader(): boolean {
    return this.leaderId() === this.self.id;
  }

  members(): RaftMemberView[] {
    return (this.membersOverride ?? [this.self]).map((m) => ({ ...m }));
  }

  async openLogs(req: LogRequest, sink: LogSink): Promise<() => void> {
    if (this.logsRefusal) throw this.logsRefusal;
    const sub: MemoryLogSubscription = { req, sink, cancelled: false };
    this.logSubscriptions.push(sub);
    this.onLogSubscription?.(sub);
    return () => {
      sub.cancelled = true;
    };
  }
}

/**
 * SwarmRuntime for tests and the in-process API: `init` starts a one-manager swarm on a
 * MemoryStore whose proposals apply at once (DirectProposer), `leave` forgets it. Errors
 * follow Docker's texts and statuses (503 for the wrong swarm state).
 */
export class MemorySwarmRuntime implements SwarmRuntime {
  private active: { handle: MemoryManagerHandle; nodeId: string; addr: string } | undefined;
  private readonly clock: Clock;
  private readonly newId: IdGenerator;

  constructor(private readonly opts: MemorySwarmRuntimeOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.newId = opts.newId ?? objectIdGenerator();
  }

  localState(): LocalNodeState {
    return this.active ? 'active' : 'inactive';
  }

  nodeId(): string | undefined {
    return this.active?.nodeId;
  }

  nodeAddr(): string | undefined {
    return this.active?.addr;
  }

  manager(): MemoryManagerHandle {
    if (!this.active) throw new UnavailableError(NOT_A_MANAGER_MESSAGE);
    return this.active.handle;
  }

  async init(params: SwarmInitParams): Promise<string> {
    if (this.active) {
      // A one-manager memory swarm has no lost quorum to recover from: force is a no-op.
      if (params.forceNewCluster) return this.active.nodeId;
      throw new UnavailableError(ALREADY_IN_SWARM_MESSAGE);
    }
    const proposer = new DirectProposer();
    const store = new MemoryStore({ proposer, clock: this.clock, newId: this.newId });
    proposer.attach(store);
    const nodeId = this.newId();
    const addr = hostOf(params.advertiseAddr || params.listenAddr) || '127.0.0.1';
    const raftAddr = `${addr.includes(':') ? `[${addr}]` : addr}:${this.opts.raftPort ?? 7377}`;
    const hostname = this.opts.hostname ?? 'memory-node';
    const description: NodeDescription = {
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 2 ** 30 },
      Engine: { EngineVersion: 'memory', Labels: {}, Plugins: [] },
    };
    await bootstrapClusterState(store, {
      clusterId: this.newId(),
      nodeId,
      spec: params.spec as SwarmSpec,
      description,
      addr,
      raftAddr,
      rootCa: await testRootCa(),
    });
    const self: RaftMemberView = { id: nodeId, addr: raftAddr, reachable: true, leader: true };
    const handle = new MemoryManagerHandle(store, proposer, this.clock, this.newId, self);
    this.active = { handle, nodeId, addr };
    return nodeId;
  }

  /** An in-memory node keeps no data key on disk, so it is never locked. */
  async unlock(): Promise<void> {
    throw new InvalidArgumentError('swarm is not locked');
  }

  /** An in-memory node has no cluster port to join through. */
  async join(): Promise<void> {
    throw new NotImplementedError('the in-memory test runtime cannot join a swarm');
  }

  async leave(force: boolean): Promise<void> {
    if (!this.active) throw new UnavailableError(NO_SWARM_MESSAGE);
    if (!force) throw new UnavailableError(LAST_MANAGER_LEAVE_MESSAGE);
    this.active = undefined;
  }
}

/** The host part of `host:port`, `[v6]:port` or a bare host; '' for an unspecified address. */
function hostOf(addr: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(addr);
  let host = v6
    ? v6[1]!
    : addr.split(':').length === 2
      ? addr.slice(0, addr.lastIndexOf(':'))
      : addr;
  if (host === '0.0.0.0' || host === '::') host = '';
  return host;
}
