import path from 'node:path';
import { readNodeCertificate } from '@shoal/ca';
import {
  NodeCertificateSource,
  managerMtlsChannelCredentials,
  type NodeTlsMaterial,
} from '@shoal/ca/grpc';
import { type Clock, type Logger } from '@shoal/common';
import { GrpcDispatcherApi } from '@shoal/dispatcher';
import { DockerExecutor, type Executor } from '@shoal/exec';
import { AgentMetrics } from '@shoal/metrics';
import type { Registry } from 'prom-client';
import { Agent } from '../agent/agent';
import { FileAgentState } from '../agent/agent-state.store';
import { chooseExecutor } from '../agent/executor.choice';
import { type ExecutorChoice } from '../config/daemon.config';
import { describeHost } from './node-description';

export interface NodeAgentOptions {
  stateDir: string;
  executor: ExecutorChoice;
  version: string;
  clock: Clock;
  logger: Logger;
  /** The daemon's metrics registry; the agent's metrics are registered there once. */
  metrics?: Registry;
  /** Extra engine labels, read at each description (e.g. shoal.metrics-addr). */
  engineLabels?: () => Record<string, string>;
}

/**
 * The agent's place in shoald: it picks the executor (once per process), gives the agent the
 * node's certificate for mTLS to the dispatcher (following renewals), and starts and stops it
 * with the node's membership. The agent runs on every node, managers included.
 */
export class NodeAgent {
  private agent?: Agent;
  private certificates?: NodeCertificateSource;
  /** The executor, made for one node ID: a node that leaves and joins again gets a new ID. */
  private executor?: { nodeId: string; executor: Promise<Executor> };

  /** Bumped by stop() and leave(), so a start still awaiting its executor knows to give up. */
  private generation = 0;

  /** Made once: every Agent this node runs (it may leave and join again) feeds the same series. */
  private readonly metrics?: AgentMetrics;

  constructor(private readonly o: NodeAgentOptions) {
    if (o.metrics) {
      const log = o.logger.child({ component: 'agent-metrics' });
      this.metrics = new AgentMetrics(o.metrics, {
        onStatsError: (task, err) => log.debug('task stats not read', { task, err: err.message }),
        onCollectError: (metric, err) =>
          log.warn('metric not collected', { metric, err: (err as Error).message }),
      });
    }
  }

  /** Starts the agent unless it runs. `managers` are cluster addresses, best first. */
  async ensureStarted(
    material: NodeTlsMaterial,
    managers: () => string[],
    onManagers: (addrs: string[]) => void,
  ): Promise<void> {
    if (this.agent) return;
    const generation = this.generation;
    const executor = await this.executorFor(readNodeCertificate(material.certPem).nodeId);
    if (this.agent || generation !== this.generation) return;
    const source = new NodeCertificateSource(material);
    this.certificates = source;
    const credentials = managerMtlsChannelCredentials(source);
    const known = managers();
    this.agent = new Agent({
      executor,
      state: new FileAgentState(this.o.stateDir),
      connect: (addr) => new GrpcDispatcherApi(addr, credentials),
      managers: known,
      describe: async () => {
        const engine = await executor.describe();
        const d = describeHost(this.o.version, engine.executor);
        return {
          ...d,
          Resources: { NanoCPUs: engine.nanoCpus, MemoryBytes: engine.memoryBytes },
          Engine: {
            EngineVersion: engine.engineVersion,
            Labels: {
              ...engine.labels,
              ...this.o.engineLabels?.(),
              'shoal.executor': engine.executor,
            },
            Plugins: [],
          },
        };
      },
      onManagers: (list) => onManagers(list.map((m) => m.addr)),
      clock: this.o.clock,
      random: Math.random,
      logger: this.o.logger.child({ component: 'agent' }),
      ...(this.metrics
        ? {
            metrics: {
              agent: this.metrics,
              executorName: executor instanceof DockerExecutor ? 'docker' : 'process',
            },
          }
        : {}),
    });
    const agent = this.agent;
    try {
      await agent.start();
    } catch (err) {
      // Unreadable saved state, say: the next start (a role change, a restart) tries again.
      if (this.agent === agent) this.agent = undefined;
      throw err;
    }
  }

  private executorFor(nodeId: string): Promise<Executor> {
    if (this.executor?.nodeId !== nodeId) {
      const executor = chooseExecutor(this.o.executor, {
        stateDir: path.join(this.o.stateDir, 'agent'),
        nodeId,
        logger: this.o.logger,
      });
      this.executor = { nodeId, executor };
      // A failed choice (no engine for --executor docker) is tried again at the next start.
      executor.catch(() => {
        if (this.executor?.executor === executor) this.executor = undefined;
      });
    }
    return this.executor.executor;
  }

  /** A renewed certificate: the agent's next connections use it. */
  updateTlsMaterial(material: NodeTlsMaterial): void {
    this.certificates?.update(material);
  }

  /** shoald stops: the tasks keep running for the next start to adopt. */
  async stop(): Promise<void> {
    this.generation++;
    const a = this.agent;
    this.agent = undefined;
    await a?.stop();
  }

  /** `swarm leave`: the node's tasks are stopped and removed. */
  async leave(): Promise<void> {
    this.generation++;
    const a = this.agent;
    this.agent = undefined;
    await a?.stopAndRemoveTasks();
  }
}
