import { isIP } from 'node:net';
import os from 'node:os';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  ApiError,
  ALREADY_IN_SWARM_MESSAGE,
  NOT_A_MANAGER_MESSAGE,
  InvalidArgumentError,
  UnavailableError,
} from '@shoal/api';
import {
  MANAGER_ROLE_OU,
  WORKER_ROLE_OU,
  createCertificateRequest,
  createRootCa,
  generateDataKey,
  unwrapDataKey,
  wrapDataKey,
  issueNodeCertificate,
  parseJoinToken,
  type RootCa,
} from '@shoal/ca';
import {
  CaDigestMismatchError,
  NodeCaCallError,
  fetchNodeRole,
  fetchRootCaPinned,
  renewNodeCertificate,
  requestNodeCertificate,
  type NodeTlsMaterial,
} from '@shoal/ca/grpc';
import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { type NodeInfo, type Registry } from '@shoal/metrics';
import { type RaftMemberAddress } from '@shoal/raft';
import { bootstrapClusterState } from '../control/swarm-bootstrap';
import { type StoredNode } from '../control/stored.types';
import { type DaemonConfig } from '../config/daemon.config';
import { formatHostPort, parseHostPort, type HostPort } from '../config/host-port';
import {
  type LocalNodeState,
  type ManagerHandle,
  type SwarmInitParams,
  type SwarmJoinParams,
  type SwarmRuntime,
} from '../manager/swarm-runtime.port';
import { CertificateRenewer } from './certificate-renewer';
import { ManagerNode } from './manager.node';
import { describeHost, metricsEngineLabels } from './node-description';
import { NodeAgent } from './node-agent';
import { StateDir, type NodeState } from './state-dir';

/** Docker's text for a locked manager. */
export const SWARM_LOCKED_MESSAGE =
  'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

/** How often a node checks whether it was promoted or demoted. */
const ROLE_CHECK_MS = 1_000;

/** The docker CLI always sends its own default; Shoal's port differs (see DEFAULT_CLUSTER_PORT). */
const DOCKER_DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

export interface DaemonRuntimeOptions {
  config: DaemonConfig;
  version: string;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  tickMs?: number;
  /** The daemon's metrics registry (--metrics-addr); no metrics are kept without it. */
  metrics?: Registry;
}

/**
 * The node's place in a swarm, as the API sees it: inactive until `swarm init` or `swarm join`
 * (or a restart that finds swarm state on disk); then an active manager or worker, or, for an
 * autolocked manager after a restart, locked until unlocked. It also follows role changes and
 * keeps the node's certificate renewed.
 */
export class DaemonSwarmRuntime implements SwarmRuntime {
  private state: LocalNodeState = 'inactive';
  private node?: NodeState;
  private managerNode?: ManagerNode;
  private roleTimer?: NodeJS.Timeout;
  /** This manager's Raft data key, and the unlock key it is wrapped with on disk (if any). */
  private dataKey?: Uint8Array;
  private wrappedWith?: string;
  private renewer?: CertificateRenewer;
  private roleCheck?: Promise<unknown>;
  /** Serializes init, leave and shutdown, which all change what this node is. */
  private transition: Promise<unknown> = Promise.resolve();
  private readonly stateDir: StateDir;
  private readonly log: Logger;
  private readonly agent: NodeAgent;
  private metricsBound?: HostPort;

  constructor(private readonly o: DaemonRuntimeOptions) {
    this.stateDir = new StateDir(o.config.stateDir);
    this.log = o.logger.child({ component: 'swarm' });
    this.agent = new NodeAgent({
      stateDir: o.config.stateDir,
      executor: o.config.executor,
      version: o.version,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
      engineLabels: () => this.engineLabels(this.nodeAddr()),
    });
  }

  /**
   * The address the metrics listener bound (its port when --metrics-addr asked for port 0).
   * Set it before the node joins or resumes, so the description carries it from the start.
   */
  setMetricsEndpoint(bound: HostPort): void {
    this.metricsBound = bound;
  }

  private engineLabels(advertiseHost: string | undefined): Record<string, string> {
    return metricsEngineLabels(this.o.config.metricsAddr, this.metricsBound, advertiseHost);
  }

  /** On start: rejoin the swarm this node was in before it stopped or crashed. */
  async resume(): Promise<void> {
    await this.stateDir.ensure();
    const node = await this.stateDir.readNodeState();
    if (!node) {
      this.log.info('not part of a swarm; waiting for swarm init');
      return;
    }
    this.state = 'pending';
    try {
      if (node.role === 'manager') {
        const { plain, wrapped } = await this.stateDir.readDataKey();
        if (!plain && wrapped) {
          // Autolocked: stay out of Raft until an operator gives the unlock key.
          this.node = node;
          this.state = 'locked';
          this.log.warn('this manager is locked; run `shoal swarm unlock` to start it');
          return;
        }
        this.managerNode = await this.startManager(node);
      }
      this.node = node;
      this.state = 'active';
      this.watchRole();
      this.log.info('rejoined the swarm', {
        nodeId: node.nodeId,
        role: node.role,
        clusterId: node.clusterId,
      });
    } catch (err) {
      this.state = 'error';
      throw err;
    }
  }

  localState(): LocalNodeState {
    return this.state;
  }

  nodeId(): string | undefined {
    return this.node?.nodeId;
  }

  /** This node's swarm ID and role while it is in a swarm, for shoal_node_info. */
  nodeInfo(): NodeInfo | undefined {
    return this.node ? { nodeId: this.node.nodeId, role: this.node.role } : undefined;
  }

  nodeAddr(): string | undefined {
    return this.node ? hostOf(this.node.advertiseAddr) : undefined;
  }

  manager(): ManagerHandle {
    if (this.state === 'locked') throw new UnavailableError(SWARM_LOCKED_MESSAGE);
    if (this.state !== 'active' || !this.managerNode) {
      throw new UnavailableError(NOT_A_MANAGER_MESSAGE);
    }
    return this.managerNode;
  }

  init(params: SwarmInitParams): Promise<string> {
    return this.serialize(() => this.doInit(params));
  }

  join(params: SwarmJoinParams): Promise<void> {
    return this.serialize(() => this.doJoin(params));
  }

  leave(force: boolean): Promise<void> {
    return this.serialize(() => this.doLeave(force));
  }

  /** Starts a locked manager with the data key unwrapped by `unlockKey`. */
  unlock(unlockKey: string): Promise<void> {
    return this.serialize(async () => {
      if (this.state !== 'locked' || !this.node) {
        throw new InvalidArgumentError('swarm is not locked');
      }
      const { wrapped } = await this.stateDir.readDataKey();
      let dataKey: Uint8Array;
      try {
        dataKey = unwrapDataKey(wrapped!, unlockKey.trim());
      } catch (err) {
        throw new InvalidArgumentError(`swarm could not be unlocked: ${(err as Error).message}`);
      }
      this.managerNode = await this.startManager(this.node, undefined, undefined, dataKey);
      this.wrappedWith = unlockKey.trim();
      this.state = 'active';
      this.watchRole();
      this.log.info('unlocked; the manager is running');
    });
  }

  /** SIGTERM: hand leadership over (when there is anyone to hand it to), then stop. */
  shutdown(): Promise<void> {
    clearInterval(this.roleTimer);
    this.renewer?.stop();
    return this.serialize(async () => {
      await this.agent.stop();
      const m = this.managerNode;
      this.managerNode = undefined;
      await m?.stop({ transferLeadership: true });
    });
  }

  private async doInit(params: SwarmInitParams): Promise<string> {
    if (params.forceNewCluster && this.node?.role === 'manager' && this.state !== 'locked') {
      return this.doForceNewCluster(this.node);
    }
    if (this.state !== 'inactive') throw new UnavailableError(ALREADY_IN_SWARM_MESSAGE);
    const listen = this.listenAddress(params.listenAddr);
    const advertise = this.advertiseAddress(params.advertiseAddr, listen);
    const node: NodeState = {
      nodeId: this.o.newId(),
      clusterId: this.o.newId(),
      role: 'manager',
      listenAddr: formatHostPort(listen),
      advertiseAddr: formatHostPort(advertise),
    };
    this.state = 'pending';
    try {
      await this.stateDir.removeSwarmState();
      const expiryNs = (params.spec as { CAConfig?: { NodeCertExpiry?: number } }).CAConfig
        ?.NodeCertExpiry;
      const rootCa = await this.writeCertificates(
        node,
        advertise.host,
        expiryNs ? expiryNs / 1e9 / 86_400 : undefined,
      );
      const manager = await this.startManager(node, [
        { id: node.nodeId, address: node.advertiseAddr },
      ]);
      try {
        await bootstrapClusterState(manager.store, {
          clusterId: node.clusterId,
          nodeId: node.nodeId,
          spec: params.spec,
          description: describeHost(
            this.o.version,
            this.o.config.executor,
            this.engineLabels(advertise.host),
          ),
          addr: advertise.host,
          raftAddr: node.advertiseAddr,
          rootCa,
        });
        this.managerNode = manager;
        await this.protectDataKey();
        // Last: from here on a restart resumes this swarm instead of starting blank.
        await this.stateDir.writeNodeState(node);
      } catch (err) {
        this.managerNode = undefined;
        await manager.stop();
        throw err;
      }
      this.node = node;
      this.state = 'active';
      this.watchRole();
      this.log.info('swarm initialized', {
        nodeId: node.nodeId,
        clusterId: node.clusterId,
        listen: node.listenAddr,
      });
      return node.nodeId;
    } catch (err) {
      this.state = 'inactive';
      await this.stateDir.removeSwarmState().catch(() => undefined);
      throw err;
    }
  }

  /**
   * `swarm init --force-new-cluster` on a manager whose cluster lost its quorum for good:
   * restart Raft with this node as the only voter, keeping every committed write (services,
   * nodes, secrets...). The other managers become workers in the store, so their certificates
   * are refused and, should they come back, they learn they were demoted.
   */
  private async doForceNewCluster(node: NodeState): Promise<string> {
    const old = this.managerNode;
    this.managerNode = undefined;
    this.state = 'pending';
    await old?.stop({ transferLeadership: false });
    try {
      const manager = await ManagerNode.start({
        node,
        stateDir: this.stateDir,
        dataKey: this.dataKey ?? (await this.plainDataKey()),
        forceNewCluster: true,
        clock: this.o.clock,
        newId: this.o.newId,
        logger: this.o.logger,
        tickMs: this.o.tickMs,
        metrics: this.o.metrics,
      });
      await manager.store.update((tx) => {
        for (const n of tx.list<StoredNode>('node')) {
          if (n.ID === node.nodeId || n.Spec?.Role !== 'manager') continue;
          const { ManagerStatus: _gone, ...rest } = structuredClone(n);
          tx.update<StoredNode>('node', {
            ...rest,
            Spec: { ...rest.Spec, Role: 'worker' },
          } as StoredNode);
        }
      });
      this.managerNode = manager;
      this.state = 'active';
      this.watchRole();
      this.log.warn('forced a new cluster: this manager is now the only one', {
        nodeId: node.nodeId,
      });
      return node.nodeId;
    } catch (err) {
      this.state = 'error';
      throw err;
    }
  }

  private async doJoin(params: SwarmJoinParams): Promise<void> {
    if (this.state !== 'inactive') throw new UnavailableError(ALREADY_IN_SWARM_MESSAGE);
    if (params.remoteAddrs.length === 0) {
      throw new InvalidArgumentError(
        'invalid RemoteAddrs: give at least one manager address, host:port',
      );
    }
    parseJoinTokenOrThrow(params.joinToken);
    const listen = this.listenAddress(params.listenAddr);
    const advertise = this.advertiseAddress(params.advertiseAddr, listen);
    this.state = 'pending';
    try {
      const { remote, ca, issued, keyPem } = await this.admitThrough(params, advertise);
      const role = issued.role === MANAGER_ROLE_OU ? 'manager' : 'worker';
      const node: NodeState = {
        nodeId: issued.nodeId,
        clusterId: issued.clusterId,
        role,
        listenAddr: formatHostPort(listen),
        advertiseAddr: formatHostPort(advertise),
        managers: issued.managers.map((m) => m.addr),
      };
      await this.stateDir.removeSwarmState();
      await this.stateDir.writeCertificates({
        'ca.crt': ca,
        'node.crt': issued.certPem,
        'node.key': keyPem,
      });
      if (role === 'manager') {
        this.managerNode = await this.startManager(
          node,
          undefined,
          issued.managers.map((m) => ({ id: m.nodeId, address: m.addr })),
        );
      }
      await this.stateDir.writeNodeState(node);
      this.node = node;
      this.state = 'active';
      this.watchRole();
      this.log.info('joined the swarm', { nodeId: node.nodeId, role, via: remote });
    } catch (err) {
      const m = this.managerNode;
      this.managerNode = undefined;
      await m?.stop().catch(() => undefined);
      this.state = 'inactive';
      await this.stateDir.removeSwarmState().catch(() => undefined);
      throw joinError(err);
    }
  }

  /** Tries the managers in turn; the first that admits us wins. */
  private async admitThrough(params: SwarmJoinParams, advertise: HostPort) {
    let last: unknown;
    for (const remote of params.remoteAddrs) {
      try {
        const { caPem } = await fetchRootCaPinned(remote, params.joinToken);
        const { csrPem, keyPem } = await createCertificateRequest();
        const issued = await requestNodeCertificate(
          remote,
          caPem,
          params.joinToken,
          csrPem,
          formatHostPort(advertise),
          {
            availability: params.availability,
            description: describeHost(
              this.o.version,
              this.o.config.executor,
              this.engineLabels(advertise.host),
            ),
          },
        );
        return { remote, ca: caPem, issued, keyPem };
      } catch (err) {
        // A wrong token or a CA mismatch is the same at every manager: stop at once.
        if (err instanceof CaDigestMismatchError || isUnauthenticated(err)) throw err;
        last = err;
      }
    }
    throw last;
  }

  private async doLeave(force: boolean): Promise<void> {
    if (this.state === 'inactive') {
      throw new UnavailableError('This node is not part of a swarm');
    }
    if (this.node?.role === 'manager' && !force) {
      throw new UnavailableError(
        'You are attempting to leave the swarm on a node that is participating as a manager. ' +
          'Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.',
      );
    }
    clearInterval(this.roleTimer);
    this.renewer?.stop();
    const m = this.managerNode;
    this.managerNode = undefined;
    this.state = 'inactive';
    this.node = undefined;
    await this.agent.leave();
    await m?.stop();
    await this.stateDir.removeSwarmState();
    this.log.info('left the swarm');
  }

  /**
   * Promotion and demotion reach a node through its role: a worker asks a manager for it (until
   * agents hold a dispatcher session, issue #5), a manager reads it from its own store. On a
   * change the node gets a certificate for the new role and starts or stops its manager.
   */
  private watchRole(): void {
    this.renewer?.stop();
    this.renewer = new CertificateRenewer({
      stateDir: this.stateDir,
      managers: () => this.managerNode?.members().map((m) => m.addr) ?? this.node?.managers ?? [],
      onRenewed: (material) => {
        this.managerNode?.updateTlsMaterial(material);
        this.agent.updateTlsMaterial(material);
      },
      logger: this.log,
    });
    this.renewer.start().catch((err: Error) => {
      this.log.warn('certificate renewal could not be scheduled', { err: err.message });
    });
    this.startAgent();
    clearInterval(this.roleTimer);
    this.roleTimer = setInterval(() => {
      if (this.roleCheck) return;
      this.roleCheck = this.serialize(() => this.checkRole())
        .catch((err: Error) => this.log.debug('role check failed', { err: err.message }))
        .finally(() => (this.roleCheck = undefined));
    }, ROLE_CHECK_MS);
    this.roleTimer.unref();
  }

  /** Every node runs the agent, from the moment it is in a swarm. */
  private startAgent(): void {
    this.tlsMaterial()
      .then((material) =>
        this.agent.ensureStarted(
          material,
          () => this.agentManagers(),
          (addrs) => this.rememberManagers(addrs),
        ),
      )
      .catch((err: Error) => this.log.error('the agent did not start', { err: err.message }));
  }

  /** Where the agent looks for the dispatcher: this manager first, then the others. */
  private agentManagers(): string[] {
    const node = this.node;
    if (!node) return [];
    const m = this.managerNode;
    const list = m ? [node.advertiseAddr, ...m.members().map((x) => x.addr)] : [];
    return [...new Set([...list, ...(node.managers ?? [])].filter(Boolean))];
  }

  /** The managers a session reported, kept so that a restart knows where to go. */
  private rememberManagers(addrs: string[]): void {
    const node = this.node;
    if (!node || JSON.stringify(node.managers) === JSON.stringify(addrs)) return;
    node.managers = addrs;
    this.stateDir
      .writeNodeState(node)
      .catch((err: Error) => this.log.warn('manager list not saved', { err: err.message }));
  }

  private async checkRole(): Promise<void> {
    const node = this.node;
    if (this.state !== 'active' || !node) return;
    const material = await this.tlsMaterial();
    if (node.role === 'manager') {
      await this.protectDataKey();
      const m = this.managerNode;
      if (!m || m.roleInStore(node.nodeId) !== 'worker') return;
      // Demoted. A node removed from Raft may never see the entry that removed it, so ask
      // another manager whether the removal has happened before leaving.
      const others = m
        .members()
        .map((x) => x.addr)
        .filter((a) => a !== node.advertiseAddr);
      for (const addr of others) {
        let answer;
        try {
          answer = await fetchNodeRole(addr, material, '', { timeoutMs: 2_000 });
        } catch {
          continue;
        }
        if (answer.role !== WORKER_ROLE_OU) return;
        if (answer.managers.some((x) => x.nodeId === node.nodeId)) return;
        await m.stop({ transferLeadership: false });
        this.managerNode = undefined;
        await this.stateDir.removeRaftState();
        this.dataKey = undefined;
        this.wrappedWith = undefined;
        await this.renewAs(
          node,
          material,
          answer.managers.map((x) => x.addr),
          'worker',
        );
        this.log.info('demoted: this node is now a worker', { nodeId: node.nodeId });
        return;
      }
      return;
    }
    for (const addr of node.managers ?? []) {
      let answer;
      try {
        answer = await fetchNodeRole(addr, material, node.advertiseAddr, { timeoutMs: 2_000 });
      } catch {
        continue;
      }
      node.managers = answer.managers.map((x) => x.addr);
      if (answer.role === MANAGER_ROLE_OU) {
        await this.renewAs(node, material, [addr], 'manager');
        this.managerNode = await this.startManager(
          node,
          undefined,
          answer.managers.map((x) => ({ id: x.nodeId, address: x.addr })),
        );
        this.log.info('promoted: this node is now a manager', { nodeId: node.nodeId });
      }
      return;
    }
  }

  /** A certificate for this node's new role from one of `managers`, then the new node state. */
  private async renewAs(
    node: NodeState,
    material: NodeTlsMaterial,
    managers: string[],
    role: 'manager' | 'worker',
  ): Promise<void> {
    let last: unknown = new Error('no manager to renew the certificate with');
    for (const addr of managers) {
      try {
        const { csrPem, keyPem } = await createCertificateRequest();
        const { certPem } = await renewNodeCertificate(addr, material, csrPem);
        await this.stateDir.writeCertificates({ 'node.crt': certPem, 'node.key': keyPem });
        this.agent.updateTlsMaterial(await this.tlsMaterial());
        node.role = role;
        node.managers = managers;
        await this.stateDir.writeNodeState(node);
        this.log.info('certificate re-issued for a new role', { nodeId: node.nodeId, role });
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  private async tlsMaterial(): Promise<NodeTlsMaterial> {
    return {
      caPem: await this.stateDir.readCertificate('ca.crt'),
      certPem: await this.stateDir.readCertificate('node.crt'),
      keyPem: await this.stateDir.readCertificate('node.key'),
    };
  }

  private async startManager(
    node: NodeState,
    bootstrap?: RaftMemberAddress[],
    peers?: RaftMemberAddress[],
    dataKey?: Uint8Array,
  ): Promise<ManagerNode> {
    this.dataKey = dataKey ?? (await this.plainDataKey());
    return ManagerNode.start({
      node,
      stateDir: this.stateDir,
      bootstrap,
      peers,
      dataKey: this.dataKey,
      clock: this.o.clock,
      newId: this.o.newId,
      logger: this.o.logger,
      tickMs: this.o.tickMs,
      metrics: this.o.metrics,
    });
  }

  /** The data key kept in clear (autolock off), made on a manager's first start. */
  private async plainDataKey(): Promise<Uint8Array> {
    const { plain, wrapped } = await this.stateDir.readDataKey();
    if (plain) return plain;
    if (wrapped) throw new UnavailableError(SWARM_LOCKED_MESSAGE);
    const key = generateDataKey();
    await this.stateDir.storeDataKey({ plain: key });
    this.wrappedWith = undefined;
    return key;
  }

  /**
   * Keeps the on-disk data key in the form the swarm's autolock setting asks for: wrapped by
   * the current unlock key (rewrapped when it rotates), or in clear when autolock is off.
   */
  private async protectDataKey(): Promise<void> {
    const m = this.managerNode;
    if (!m || !this.dataKey) return;
    const unlockKey = m.unlockKey();
    if (unlockKey === this.wrappedWith) return;
    await this.stateDir.storeDataKey(
      unlockKey ? { wrapped: wrapDataKey(this.dataKey, unlockKey) } : { plain: this.dataKey },
    );
    this.wrappedWith = unlockKey;
    this.log.info(
      unlockKey ? 'data key locked under the unlock key' : 'data key unlocked (autolock off)',
    );
  }

  private async writeCertificates(
    node: NodeState,
    advertiseHost: string,
    validDays?: number,
  ): Promise<RootCa> {
    const ca = await createRootCa({ now: this.o.clock.now() });
    const ips = [...new Set(['127.0.0.1', advertiseHost].filter(isIpLiteral))];
    const dnsNames = [
      ...new Set(['localhost', os.hostname(), advertiseHost].filter((h) => !isIpLiteral(h))),
    ];
    const cert = await issueNodeCertificate(ca, {
      nodeId: node.nodeId,
      role: MANAGER_ROLE_OU,
      clusterId: node.clusterId,
      ips,
      dnsNames,
      validDays,
      now: this.o.clock.now(),
    });
    await this.stateDir.writeCertificates({
      // The CA key lives in the replicated store (so every manager can sign), which reaches
      // disk only through the encrypted Raft log; there is no plain ca.key file.
      'ca.crt': ca.certPem,
      'node.crt': cert.certPem,
      'node.key': cert.keyPem,
    });
    return ca;
  }

  /** The request's ListenAddr wins, except the docker CLI's default, which names Swarm's port. */
  private listenAddress(requested: string): HostPort {
    // Validated at start-up, so it parses.
    const configured = parseHostPort(this.o.config.listenAddr) as HostPort;
    const value =
      requested && requested !== DOCKER_DEFAULT_LISTEN_ADDR ? requested : this.o.config.listenAddr;
    return this.mustParse(
      'ListenAddr',
      value,
      parseHostPort(value, { defaultPort: configured.port }),
    );
  }

  private advertiseAddress(requested: string, listen: HostPort): HostPort {
    const value = requested || this.o.config.advertiseAddr;
    if (value) {
      const parsed = parseHostPort(value, { defaultPort: listen.port });
      return this.mustParse('AdvertiseAddr', value, parsed);
    }
    if (!['0.0.0.0', '::'].includes(listen.host)) return listen;
    const ip = firstExternalIpv4();
    if (!ip) {
      throw new InvalidArgumentError(
        'could not choose an IP address to advertise: this host has no non-loopback IPv4 address; set --advertise-addr',
      );
    }
    return { host: ip, port: listen.port };
  }

  private mustParse(field: string, value: string, parsed: HostPort | string): HostPort {
    if (typeof parsed === 'string') throw new InvalidArgumentError(`invalid ${field}: ${parsed}`);
    if (parsed.port === 0)
      throw new InvalidArgumentError(`invalid ${field}: "${value}" needs a port other than 0`);
    return parsed;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transition.then(fn, fn);
    this.transition = run.catch(() => undefined);
    return run;
  }
}

function parseJoinTokenOrThrow(token: string): void {
  try {
    parseJoinToken(token);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function isUnauthenticated(err: unknown): boolean {
  return err instanceof NodeCaCallError && err.code === grpcStatus.UNAUTHENTICATED;
}

/** What went wrong with a join, as the API reports it. */
function joinError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof CaDigestMismatchError) return new InvalidArgumentError(err.message);
  if (isUnauthenticated(err)) {
    return new InvalidArgumentError(
      `the manager refused the join token: ${(err as Error).message}`,
    );
  }
  return new UnavailableError(`could not join the swarm: ${(err as Error).message}`);
}

function hostOf(addr: string): string {
  const p = parseHostPort(addr);
  return typeof p === 'string' ? addr : p.host;
}

function isIpLiteral(h: string): boolean {
  return isIP(h) !== 0;
}

function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
