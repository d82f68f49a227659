import { type TaskStatus } from '@shoal/api';
import { DispatcherCallError } from '@shoal/dispatcher';
import { describe, expect, it, vi } from 'vitest';
import { StatusReporter, type StatusSender } from './status.reporter';

const tick = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};
const st = (State: TaskStatus['State']): TaskStatus => ({ State });

/** A sender that records batches and answers as told. */
function sender(
  answer: (batch: { taskId: string; statusJson: string }[]) => Promise<void> = async () =>
    undefined,
) {
  const batches: { taskId: string; state: string }[][] = [];
  const s: StatusSender = {
    send: (batch) => {
      batches.push(
        batch.map((b) => ({
          taskId: b.taskId,
          state: (JSON.parse(b.statusJson) as TaskStatus).State!,
        })),
      );
      return answer([...batch]);
    },
  };
  return { s, batches };
}

describe('StatusReporter', () => {
  it('holds reports while there is no session, then sends only the latest per task', async () => {
    const r = new StatusReporter();
    r.report('a', st('preparing'));
    r.report('a', st('running'));
    r.report('b', st('failed'));
    const { s, batches } = sender();
    r.setSender(s);
    await tick();
    expect(batches).toEqual([
      [
        { taskId: 'a', state: 'running' },
        { taskId: 'b', state: 'failed' },
      ],
    ]);
    expect(r.pending).toBe(0);
  });

  it('keeps what was not acknowledged and sends it all to the next session', async () => {
    const r = new StatusReporter();
    const down = sender(() => Promise.reject(new DispatcherCallError('unavailable', 'gone')));
    r.setSender(down.s);
    r.report('a', st('running'));
    await tick();
    expect(r.pending).toBe(1);
    const up = sender();
    r.setSender(up.s);
    await tick();
    expect(up.batches).toEqual([[{ taskId: 'a', state: 'running' }]]);
    expect(r.pending).toBe(0);
  });

  it('retries on the same session after a failed write, with backoff', async () => {
    vi.useFakeTimers();
    try {
      const r = new StatusReporter();
      let fail = true;
      const { s, batches } = sender(() =>
        fail
          ? Promise.reject(new DispatcherCallError('unavailable', 'write failed'))
          : Promise.resolve(),
      );
      r.setSender(s);
      r.report('a', st('running'));
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toHaveLength(1);
      fail = false;
      await vi.advanceTimersByTimeAsync(199);
      expect(batches).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(batches).toHaveLength(2);
      expect(r.pending).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends to a new session even while a send to the old one still hangs', async () => {
    // Found by the cluster chaos simulation (test/sim/cluster, seeds 16 and 37 without it): the old
    // manager went silent, the send to it hung until its deadline, the new session found the
    // loop busy, and the final `shutdown` of a task was never sent to anyone.
    const r = new StatusReporter();
    let fail!: (err: Error) => void;
    const old = sender(() => new Promise<void>((_, reject) => (fail = reject)));
    r.setSender(old.s);
    r.report('a', st('running'));
    await tick();
    expect(old.batches).toHaveLength(1);
    const next = sender();
    r.setSender(next.s);
    r.report('a', st('shutdown'));
    await tick();
    fail(new DispatcherCallError('unavailable', 'deadline exceeded'));
    await tick();
    expect(next.batches).toEqual([[{ taskId: 'a', state: 'shutdown' }]]);
    expect(r.pending).toBe(0);
  });

  it('waits for the next session when the manager no longer knows this one', async () => {
    const r = new StatusReporter();
    const gone = sender(() => Promise.reject(new DispatcherCallError('unknown-session', 'gone')));
    r.setSender(gone.s);
    r.report('a', st('running'));
    await tick();
    await tick();
    expect(gone.batches).toHaveLength(1);
    expect(r.pending).toBe(1);
  });

  it('a report refused for good does not block the others', async () => {
    const r = new StatusReporter();
    const { s, batches } = sender(async (batch) => {
      if (batch.some((b) => b.taskId === 'moved'))
        throw new DispatcherCallError('denied', 'not yours');
    });
    r.report('a', st('running'));
    r.report('moved', st('running'));
    r.report('b', st('running'));
    r.setSender(s);
    await tick();
    expect(batches.at(-1)).toEqual([{ taskId: 'b', state: 'running' }]);
    expect(r.pending).toBe(0);
  });

  it('a newer status reported while a batch is in flight is sent after it', async () => {
    const r = new StatusReporter();
    let release!: () => void;
    const { s, batches } = sender((batch) =>
      batch[0]!.statusJson.includes('starting')
        ? new Promise((res) => (release = res))
        : Promise.resolve(),
    );
    r.setSender(s);
    r.report('a', st('starting'));
    await tick();
    r.report('a', st('running'));
    release();
    await tick();
    expect(batches.map((b) => b[0]!.state)).toEqual(['starting', 'running']);
    expect(r.pending).toBe(0);
  });
});
