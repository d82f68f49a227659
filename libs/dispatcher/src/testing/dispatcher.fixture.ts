import { type Task } from '@shoal/api/swarm';
import { ManualClock, nullLogger, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, type StoredObject } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { Dispatcher } from '../core/dispatcher';
import { type DispatcherHooks } from '../core/dispatcher.hooks';
import { type StatusBatchBounds } from '../core/status.batcher';
import { ManualTimers } from './manual.timers';

export const T0 = 1_795_334_400_000;

export type FixtureNode = StoredObject & {
  Spec?: { Role?: string };
  Status?: { State?: string; Addr?: string; Message?: string };
};
export type FixtureTask = Task & StoredObject;

/**
 * A started Dispatcher on a one-manager store (DirectProposer), a ManualClock and ManualTimers,
 * with `nodes` created in state `nodeState`. Stop it with `dispatcher.stop()`.
 */
export async function dispatcherFixture(
  opts: {
    nodes?: string[];
    nodeState?: string;
    statusBatch?: StatusBatchBounds;
    hooks?: DispatcherHooks;
  } = {},
) {
  const clock = new ManualClock(T0);
  const timers = new ManualTimers(clock);
  const proposer = new DirectProposer();
  const store = new MemoryStore({
    proposer,
    clock,
    newId: objectIdGenerator(seededRandomBytes(3)),
  });
  proposer.attach(store);
  await store.update((tx) => {
    for (const id of opts.nodes ?? ['n1', 'n2'])
      tx.create<FixtureNode>('node', {
        ID: id,
        Spec: { Role: 'worker' },
        Status: { State: opts.nodeState ?? 'ready' },
      });
  });
  const dispatcher = new Dispatcher({
    store,
    clock,
    timers,
    newId: objectIdGenerator(seededRandomBytes(4)),
    logger: nullLogger,
    ...(opts.statusBatch ? { statusBatch: opts.statusBatch } : {}),
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
  });
  dispatcher.start();
  const node = (id: string) => store.view((tx) => tx.get<FixtureNode>('node', id));
  const task = (id: string) => store.view((tx) => tx.get<FixtureTask>('task', id));
  const addTask = (id: string, nodeId: string, state = 'assigned') =>
    store.update((tx) => {
      tx.create<FixtureTask>('task', {
        ID: id,
        NodeID: nodeId,
        ServiceID: 's1',
        Slot: 1,
        DesiredState: 'running',
        Status: { State: state as never },
      });
    });
  return { clock, timers, proposer, store, dispatcher, node, task, addTask };
}
