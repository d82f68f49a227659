import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Task, type TaskStatus } from '@shoal/api';

/** What the agent keeps of one task across restarts. */
export interface SavedTask {
  task: Task;
  /** The last status the task's controller reported. */
  status?: TaskStatus;
}

/** Where an agent keeps its assignments; in memory for the simulated-agents harness. */
export interface AgentStateStore {
  load(): Promise<SavedTask[]>;
  /**
   * Called on every status change of every task. The list is asked of `snapshot` only when
   * it is written, so a burst of changes while a write is under way builds it once, not once
   * per change (a node starting a hundred tasks reports five states of each).
   */
  save(snapshot: () => readonly SavedTask[]): Promise<void>;
}

export class MemoryAgentState implements AgentStateStore {
  private tasks: SavedTask[] = [];
  async load(): Promise<SavedTask[]> {
    return structuredClone(this.tasks);
  }
  async save(snapshot: () => readonly SavedTask[]): Promise<void> {
    this.tasks = structuredClone([...snapshot()]);
  }
}

/**
 * `<stateDir>/agent/tasks.json`, replaced atomically (write, then rename), so a kill -9 leaves
 * either the old file or the new one. Saves are serialized and coalesced: a save asked for
 * while one is being written writes the latest state once afterwards.
 */
export class FileAgentState implements AgentStateStore {
  private readonly file: string;
  private writing?: Promise<void>;
  private next?: () => readonly SavedTask[];

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'agent', 'tasks.json');
  }

  async load(): Promise<SavedTask[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = JSON.parse(text) as { tasks?: SavedTask[] };
    return Array.isArray(parsed.tasks)
      ? parsed.tasks.filter((t) => typeof t?.task?.ID === 'string')
      : [];
  }

  save(snapshot: () => readonly SavedTask[]): Promise<void> {
    this.next = snapshot;
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async drain(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    while (this.next) {
      const tasks = this.next();
      this.next = undefined;
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify({ tasks }), { mode: 0o600 });
      await rename(tmp, this.file);
    }
  }
}
