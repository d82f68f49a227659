import { type NodeSpec, type ServiceSpec, type TaskState } from '@shoal/api/swarm';
import { type MemoryStore, type WriteTx } from '@shoal/store';
import { directStore } from '@shoal/store/testing/store.fixtures';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../../replicated/replicated.types';
import { type ServiceLoop } from '../service.loop';

export interface Harness<O extends ServiceLoop> extends ReturnType<typeof directStore> {
  orch: O;
  /** The service's tasks with that DesiredState (all of them without one), oldest first. */
  tasks(desired?: TaskState): OrchestratedTask[];
  createService(spec: ServiceSpec, extra?: Partial<OrchestratedService>): Promise<string>;
  updateService(patch: (s: OrchestratedService) => OrchestratedService): Promise<void>;
  write(fn: (tx: WriteTx) => void): Promise<void>;
  setTask(id: string, patch: Partial<OrchestratedTask>): Promise<void>;
  addNode(id: string, spec?: NodeSpec, state?: 'ready' | 'down'): Promise<void>;
  setNode(id: string, patch: (n: OrchestratedNode) => OrchestratedNode): Promise<void>;
}

/**
 * An orchestrator over a MemoryStore on a DirectProposer with a ManualClock, and helpers
 * that write as the control API, the scheduler and the agents would, then wait for the
 * orchestrator to settle.
 */
export function orchestratorHarness<O extends ServiceLoop>(
  build: (store: MemoryStore, clock: ReturnType<typeof directStore>['clock']) => O,
  seed = 7,
): Harness<O> {
  const base = directStore(seed);
  const { store } = base;
  const orch = build(store, base.clock);
  let serviceId = '';
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await orch.settled();
  };
  return {
    ...base,
    orch,
    tasks: (desired) =>
      store
        .view((tx) => tx.tasksByService<OrchestratedTask>(serviceId))
        .filter((t) => desired === undefined || t.DesiredState === desired)
        .sort(
          (a, b) =>
            a.Version.Index - b.Version.Index ||
            (a.NodeID ?? '').localeCompare(b.NodeID ?? '') ||
            (a.Slot ?? 0) - (b.Slot ?? 0),
        ),
    createService: async (spec, extra = {}) => {
      const r = await store.update((tx) => {
        tx.create<OrchestratedService>('service', { ...extra, Spec: spec });
      });
      serviceId = r.created[0]!;
      await orch.settled();
      return serviceId;
    },
    updateService: (patch) =>
      write((tx) => {
        tx.update('service', patch(tx.get<OrchestratedService>('service', serviceId)!));
      }),
    write,
    setTask: (id, patch) =>
      write((tx) => {
        const t = tx.get<OrchestratedTask>('task', id)!;
        tx.update('task', { ...t, ...patch });
      }),
    addNode: (id, spec = {}, state = 'ready') =>
      write((tx) => {
        tx.create<OrchestratedNode>('node', {
          ID: id,
          Spec: { Role: 'worker', Availability: 'active', ...spec },
          Description: { Hostname: id, Platform: { OS: 'linux', Architecture: 'x86_64' } },
          Status: { State: state },
        });
      }),
    setNode: (id, patch) =>
      write((tx) => {
        tx.update('node', patch(tx.get<OrchestratedNode>('node', id)!));
      }),
  };
}
