import { describe, expect, it } from 'vitest';
import { RecordingExecutor } from './recording.executor';

describe('RecordingExecutor', () => {
  it('logs the calls of all its controllers in one list, in order', async () => {
    const ex = new RecordingExecutor({ script: (t) => (t.ID === 'b' ? { exit: 2 } : {}) });
    const a = ex.controller({ ID: 'a' });
    const b = ex.controller({ ID: 'b' });
    await a.prepare();
    await b.prepare();
    await b.start();
    expect(await b.wait()).toEqual({ exitCode: 2 });
    await a.start();
    expect(a.isRunning).toBe(true);
    await a.terminate();
    expect(await a.wait()).toEqual({ exitCode: 137, reason: 'killed' });
    await a.remove();
    expect(a.removed).toBe(true);
    expect(ex.calls.map((c) => `${c.taskId}.${c.op}`)).toEqual([
      'a.prepare',
      'b.prepare',
      'b.start',
      'b.wait',
      'a.start',
      'a.terminate',
      'a.wait',
      'a.remove',
    ]);
    expect(ex.controllerFor('b')).toBe(b);
    expect(ex.controllerFor('zz')).toBeUndefined();
  });

  it('has adopt() only when scripted, and per-task scripts win over the default', async () => {
    const ex = new RecordingExecutor({ script: () => ({ adopt: false }) }).script('x', {
      adopt: true,
    });
    const x = ex.controller({ ID: 'x' });
    expect(await x.adopt?.()).toBe(true);
    expect(x.isRunning).toBe(true);
    expect(new RecordingExecutor().controller({}).adopt).toBeUndefined();
    expect(ex.controller({ ID: 'x' }).script).toEqual({ adopt: false }); // used once
  });

  it('holds a step until released, and rejects scripted failures', async () => {
    const c = new RecordingExecutor()
      .script('h', { prepare: 'hold', start: 'no such file' })
      .controller({ ID: 'h' });
    let done = false;
    const p = c.prepare().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    expect(c.isHeld('prepare')).toBe(true);
    c.release('prepare');
    await p;
    await expect(c.start()).rejects.toThrow('no such file');
    expect(() => c.release('start')).toThrow('no start() call is held');
  });

  it('describes a configurable engine', async () => {
    const d = await new RecordingExecutor({ description: { nanoCpus: 4e9 } }).describe();
    expect(d).toMatchObject({ executor: 'recording', nanoCpus: 4e9 });
  });
});
