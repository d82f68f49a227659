import { type Logger, seededRandomBytes, systemClock } from '@shoal/common';
import { type DispatcherApi } from '@shoal/dispatcher';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { Agent } from '../../../apps/shoald/src/agent/agent';
import {
  type AgentStateStore,
  MemoryAgentState,
  type SavedTask,
} from '../../../apps/shoald/src/agent/agent-state.store';

/**
 * The agent's state as the agent's own view of it, never copied: it keeps the snapshot
 * function the agent saves with and calls it only when read. MemoryAgentState deep-copies
 * every task on every save, and the agent saves on every status change of every task, so a
 * node with N tasks would copy N tasks N × (states per task) times; at a thousand nodes of a
 * hundred tasks that copying, not the manager, would fill the CPU. Only a restarted agent
 * would read it back; simulated ones are not restarted.
 */
export class LatestAgentState implements AgentStateStore {
  private snapshot: () => readonly SavedTask[] = () => [];

  load(): Promise<SavedTask[]> {
    return Promise.resolve([...this.snapshot()]);
  }

  save(snapshot: () => readonly SavedTask[]): Promise<void> {
    this.snapshot = snapshot;
    return Promise.resolve();
  }
}

export interface SimulatedAgentOptions {
  /** The node ID, as its certificate would carry it. */
  id: string;
  /** A client for the dispatcher at `addr` (in process, over a socket bridge, ...). */
  connect(addr: string): DispatcherApi;
  /** The managers the agent starts with. */
  managers: string[];
  /** Heartbeat and backoff jitter. */
  random(): number;
  logger: Logger;
  /** Default: MemoryAgentState (copies; fine for tens of nodes). See LatestAgentState. */
  state?: AgentStateStore;
}

/**
 * A real Agent (apps/shoald/src/agent) on a RecordingExecutor: every task it is given
 * "starts" at once and reports running, and nothing runs anywhere.
 */
export function simulatedAgent(o: SimulatedAgentOptions): {
  agent: Agent;
  executor: RecordingExecutor;
} {
  const executor = new RecordingExecutor({ description: { engineVersion: 'sim' } });
  const agent = new Agent({
    executor,
    state: o.state ?? new MemoryAgentState(),
    connect: (addr) => o.connect(addr),
    managers: o.managers,
    describe: async () => {
      const engine = await executor.describe();
      return {
        Hostname: o.id,
        Platform: { Architecture: 'x86_64', OS: 'linux' },
        Resources: { NanoCPUs: engine.nanoCpus, MemoryBytes: engine.memoryBytes },
        Engine: {
          EngineVersion: engine.engineVersion,
          Labels: { 'shoal.executor': engine.executor },
          Plugins: [],
        },
      };
    },
    clock: systemClock,
    random: o.random,
    logger: o.logger,
  });
  return { agent, executor };
}

/** [0, 1) from a seeded byte source, for the agents' heartbeat and backoff jitter. */
export function seededRandom(seed: number): () => number {
  const bytes = seededRandomBytes(seed);
  return () => new DataView(bytes(4).buffer).getUint32(0) / 2 ** 32;
}
