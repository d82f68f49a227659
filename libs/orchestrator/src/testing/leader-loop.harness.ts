import {
  type NodeSpec,
  type ResourceObject,
  type ServiceSpec,
  type SwarmSpec,
  type TaskState,
} from '@shoal/api';
import { type MemoryStore, rfc3339Nano, type StoredObject, type WriteTx } from '@shoal/store';
import { directStore } from '@shoal/store/testing/store.fixtures';
import { ConstraintEnforcer } from '../constraint-enforcer/constraint.enforcer';
import { TaskReaper } from '../task-reaper/task.reaper';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';

export interface HarnessOptions {
  /** Which leader components to run. Default all three. */
  run?: { orchestrator?: boolean; reaper?: boolean; enforcer?: boolean };
  /** The cluster object's TaskHistoryRetentionLimit; no cluster object when undefined. */
  retention?: number;
  maxDeletesPerWrite?: number;
  wrap?: (store: MemoryStore) => MemoryStore;
}

/**
 * The replicated orchestrator, task reaper and constraint enforcer on one MemoryStore with a
 * DirectProposer and a ManualClock, and a stand-in for the scheduler and the agents (specs
 * only). Every helper waits until the components have stopped reacting to each other.
 */
export function leaderLoop(opts: HarnessOptions = {}) {
  const { store, proposer, clock } = directStore(11);
  const target = opts.wrap ? opts.wrap(store) : store;
  const run = opts.run ?? { orchestrator: true, reaper: true, enforcer: true };
  const orchestrator = run.orchestrator
    ? new ReplicatedOrchestrator({ store: target, clock })
    : undefined;
  const reaper = run.reaper
    ? new TaskReaper({ store: target, clock, maxDeletesPerWrite: opts.maxDeletesPerWrite })
    : undefined;
  const enforcer = run.enforcer ? new ConstraintEnforcer({ store: target }) : undefined;
  const parts = [orchestrator, reaper, enforcer].filter((p) => p !== undefined);

  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.all(parts.map((p) => p.settled()));
      await Promise.resolve();
    }
  };
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await settle();
  };
  const get = <T extends StoredObject>(kind: 'task' | 'node' | 'service', id: string) =>
    store.view((tx) => tx.get<T>(kind, id));
  const tasks = (serviceId: string, desired?: TaskState) =>
    store
      .view((tx) => tx.tasksByService<OrchestratedTask>(serviceId))
      .filter((t) => desired === undefined || t.DesiredState === desired)
      .sort((a, b) => a.Slot! - b.Slot! || (a.CreatedAt < b.CreatedAt ? -1 : 1));
  const patchTask = (id: string, patch: Partial<OrchestratedTask>) =>
    write((tx) => {
      const t = tx.get<OrchestratedTask>('task', id)!;
      tx.update('task', { ...t, ...patch });
    });
  const status = (state: TaskState, extra: object = {}) => ({
    State: state,
    Timestamp: rfc3339Nano(clock.now()),
    ...extra,
  });

  return {
    store,
    proposer,
    clock,
    orchestrator,
    reaper,
    enforcer,
    settle,
    write,
    get,
    tasks,
    patchTask,
    async start() {
      if (opts.retention !== undefined) {
        await store.update((tx) => {
          const spec: SwarmSpec = {
            Name: 'default',
            Orchestration: { TaskHistoryRetentionLimit: opts.retention },
          };
          tx.create<StoredObject & { Spec: SwarmSpec }>('cluster', { Spec: spec });
        });
      }
      for (const p of parts) p.start();
      await settle();
    },
    stop() {
      for (const p of parts) p.stop();
    },
    async addNode(id: string, spec: NodeSpec = {}, resources?: ResourceObject) {
      await write((tx) => {
        tx.create<OrchestratedNode>('node', {
          ID: id,
          Spec: { Role: 'worker', Availability: 'active', ...spec },
          Description: { Hostname: `host-${id}`, Resources: resources },
          Status: { State: 'ready' },
        });
      });
    },
    async updateNode(id: string, patch: (n: OrchestratedNode) => Partial<OrchestratedNode>) {
      await write((tx) => {
        const n = tx.get<OrchestratedNode>('node', id)!;
        tx.update('node', { ...n, ...patch(n) });
      });
    },
    async createService(spec: ServiceSpec) {
      const r = await store.update((tx) => {
        tx.create<OrchestratedService>('service', { Spec: spec });
      });
      await settle();
      return r.created[0]!;
    },
    async updateService(id: string, patch: (s: ServiceSpec) => ServiceSpec) {
      await write((tx) => {
        const s = tx.get<OrchestratedService>('service', id)!;
        tx.update('service', { ...s, Spec: patch(s.Spec) });
      });
    },
    /** The scheduler and agents' part: every pending task goes to `nodeId` and runs. */
    async runPending(serviceId: string, nodeId: string) {
      for (const t of tasks(serviceId, 'running')) {
        if (t.Status?.State === 'pending') {
          await patchTask(t.ID, { NodeID: nodeId, Status: status('running') });
        }
      }
    },
    /** The agent reports the task ended. */
    async end(taskId: string, state: TaskState = 'failed', exitCode = 1) {
      await patchTask(taskId, {
        Status: status(state, { ContainerStatus: { ExitCode: exitCode } }),
      });
    },
    /** Agents stop what they were told to stop. */
    async obeyShutdowns(serviceId: string) {
      for (const t of tasks(serviceId)) {
        const desired = t.DesiredState!;
        if ((desired === 'shutdown' || desired === 'remove') && t.Status?.State === 'running') {
          await patchTask(t.ID, { Status: status('shutdown') });
        }
      }
    },
  };
}

export type LeaderLoop = ReturnType<typeof leaderLoop>;
