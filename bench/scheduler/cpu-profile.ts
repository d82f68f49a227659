import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/**
 * A V8 CPU profile of this process over one step, through the inspector rather than
 * --cpu-prof: the latter covers the whole life of the process (start-up, the nodes joining,
 * the incremental step), which would blur what the placement itself costs.
 */
export class StepProfiler {
  private session: Session | undefined;

  async start(): Promise<void> {
    if (this.session) return;
    const s = new Session();
    s.connect();
    await s.post('Profiler.enable');
    await s.post('Profiler.start');
    this.session = s;
  }

  /** Writes the profile (Chrome DevTools' .cpuprofile format) to `file`. */
  async stop(file: string): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    const { profile } = await s.post('Profiler.stop');
    s.disconnect();
    await writeFile(file, JSON.stringify(profile));
  }
}
