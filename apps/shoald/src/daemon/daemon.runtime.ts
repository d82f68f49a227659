import { isIP } from 'node:net';
import os from 'node:os';
import {
  ALREADY_IN_SWARM_MESSAGE,
  NOT_A_MANAGER_MESSAGE,
  InvalidArgumentError,
  UnavailableError,
} from '@shoal/api';
import { MANAGER_ROLE_OU, createRootCa, issueNodeCertificate, type RootCa } from '@shoal/ca';
import { type Clock, type IdGenerator, type Logger } from '@shoal/common';
import { type RaftMemberAddress } from '@shoal/raft';
import { bootstrapClusterState } from '../control/swarm-bootstrap';
import { type DaemonConfig } from '../config/daemon.config';
import { formatHostPort, parseHostPort, type HostPort } from '../config/host-port';
import {
  type LocalNodeState,
  type ManagerHandle,
  type SwarmInitParams,
  type SwarmRuntime,
} from '../manager/swarm-runtime.port';
import { ManagerNode } from './manager.node';
import { describeHost } from './node-description';
import { StateDir, type NodeState } from './state-dir';

/** The docker CLI always sends its own default; Shoal's port differs (see DEFAULT_CLUSTER_PORT). */
const DOCKER_DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

export interface DaemonRuntimeOptions {
  config: DaemonConfig;
  version: string;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  tickMs?: number;
}

/**
 * The node's place in a swarm, as the API sees it: inactive until `swarm init` (or a restart
 * that finds swarm state on disk), then an active manager. Joining and workers come with
 * issue #4.
 */
export class DaemonSwarmRuntime implements SwarmRuntime {
  private state: LocalNodeState = 'inactive';
  private node?: NodeState;
  private managerNode?: ManagerNode;
  /** Serializes init, leave and shutdown, which all change what this node is. */
  private transition: Promise<unknown> = Promise.resolve();
  private readonly stateDir: StateDir;
  private readonly log: Logger;

  constructor(private readonly o: DaemonRuntimeOptions) {
    this.stateDir = new StateDir(o.config.stateDir);
    this.log = o.logger.child({ component: 'swarm' });
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
      this.managerNode = await this.startManager(node);
      this.node = node;
      this.state = 'active';
      this.log.info('rejoined the swarm as a manager', {
        nodeId: node.nodeId,
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

  nodeAddr(): string | undefined {
    return this.node ? hostOf(this.node.advertiseAddr) : undefined;
  }

  manager(): ManagerHandle {
    if (this.state !== 'active' || !this.managerNode) {
      throw new UnavailableError(NOT_A_MANAGER_MESSAGE);
    }
    return this.managerNode;
  }

  init(params: SwarmInitParams): Promise<string> {
    return this.serialize(() => this.doInit(params));
  }

  leave(force: boolean): Promise<void> {
    return this.serialize(() => this.doLeave(force));
  }

  /** SIGTERM: hand leadership over (when there is anyone to hand it to), then stop. */
  shutdown(): Promise<void> {
    return this.serialize(async () => {
      const m = this.managerNode;
      this.managerNode = undefined;
      await m?.stop({ transferLeadership: true });
    });
  }

  private async doInit(params: SwarmInitParams): Promise<string> {
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
      const rootCa = await this.writeCertificates(node, advertise.host);
      const manager = await this.startManager(node, [
        { id: node.nodeId, address: node.advertiseAddr },
      ]);
      try {
        await bootstrapClusterState(manager.store, {
          clusterId: node.clusterId,
          nodeId: node.nodeId,
          spec: params.spec,
          description: describeHost(this.o.version, this.o.config.executor),
          addr: advertise.host,
          raftAddr: node.advertiseAddr,
          rootCa,
        });
        // Last: from here on a restart resumes this swarm instead of starting blank.
        await this.stateDir.writeNodeState(node);
      } catch (err) {
        await manager.stop();
        throw err;
      }
      this.managerNode = manager;
      this.node = node;
      this.state = 'active';
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
    const m = this.managerNode;
    this.managerNode = undefined;
    this.state = 'inactive';
    this.node = undefined;
    await m?.stop();
    await this.stateDir.removeSwarmState();
    this.log.info('left the swarm');
  }

  private startManager(node: NodeState, bootstrap?: RaftMemberAddress[]): Promise<ManagerNode> {
    return ManagerNode.start({
      node,
      stateDir: this.stateDir,
      bootstrap,
      clock: this.o.clock,
      newId: this.o.newId,
      logger: this.o.logger,
      tickMs: this.o.tickMs,
    });
  }

  private async writeCertificates(node: NodeState, advertiseHost: string): Promise<RootCa> {
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
      now: this.o.clock.now(),
    });
    await this.stateDir.writeCertificates({
      // The CA key lives in the replicated store (encrypted at rest with the Raft log), not in
      // a plain file.
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
