import { describe, expect, it } from 'vitest';
import { SEQ_LABEL, type StreamResponse, type StreamTarget, UpdateStream } from './update-stream';

/** A manager's service endpoints in memory, with scripted answers for the next requests. */
class FakeManager implements StreamTarget {
  version = 10;
  labels: Record<string, string> = { keep: 'me' };
  readonly requests: string[] = [];
  /** Answers to use, in order, before the normal behaviour. */
  readonly script: (StreamResponse | Error | 'bump-version')[] = [];

  constructor(readonly name: string) {}

  async request(method: string, path: string, body?: unknown): Promise<StreamResponse> {
    this.requests.push(`${method} ${path}`);
    await Promise.resolve();
    const next = this.script.shift();
    if (next === 'bump-version') this.version++;
    else if (next instanceof Error) throw next;
    else if (next) return next;
    if (method === 'GET') {
      const json = {
        ID: 's1',
        Version: { Index: this.version },
        Spec: { Name: 'svc', Labels: this.labels },
      };
      return { status: 200, text: JSON.stringify(json), json };
    }
    const version = Number(/version=(\d+)/.exec(path)![1]);
    if (version !== this.version) {
      return { status: 409, text: '{"message":"update out of sequence"}', json: undefined };
    }
    this.version++;
    this.labels = (body as { Labels: Record<string, string> }).Labels;
    return { status: 200, text: '{"Warnings":null}', json: { Warnings: null } };
  }
}

const error = (status: number, message: string): StreamResponse => ({
  status,
  text: JSON.stringify({ message }),
  json: { message },
});

function streamOn(target: StreamTarget) {
  let t = 0;
  return new UpdateStream({
    serviceId: 's1',
    intervalMs: 1,
    target,
    now: () => ++t,
    sleep: () => new Promise((r) => setImmediate(r)),
  });
}

describe('UpdateStream', () => {
  it('reads the version, sends the spec back with its label bumped, and keeps the rest', async () => {
    const m = new FakeManager('m1');
    const s = streamOn(m);
    s.start();
    await s.successesSentFrom(0, 3);
    await s.stop();
    expect(m.requests.slice(0, 4)).toEqual([
      'GET /services/s1',
      'POST /services/s1/update?version=10',
      'GET /services/s1',
      'POST /services/s1/update?version=11',
    ]);
    expect(m.labels['keep']).toBe('me');
    expect(Number(m.labels[SEQ_LABEL])).toBeGreaterThanOrEqual(3);
    expect(s.outcomes.every((o) => o.kind === 'success' && o.target === 'm1')).toBe(true);
  });

  it('answers a 409 by reading again at once; it is a conflict, not a failure', async () => {
    const m = new FakeManager('m1');
    const s = streamOn(m);
    // The version moves between the read and the update (an earlier 503 was applied after all).
    m.script.push(
      { status: 200, text: '', json: { Version: { Index: 9 }, Spec: { Name: 'svc' } } },
      'bump-version',
    );
    s.start();
    await s.successesSentFrom(0, 1);
    await s.stop();
    expect(s.outcomes.map((o) => o.kind)).toEqual(['conflict', 'success']);
  });

  it('records other answers and transport errors as failures of their phase', async () => {
    const m = new FakeManager('m1');
    m.script.push(
      error(503, 'the swarm has no leader at the moment'),
      new Error('connect ECONNREFUSED'),
      { status: 200, text: 'garbage', json: undefined },
    );
    const s = streamOn(m);
    s.start();
    await s.successesSentFrom(0, 1);
    await s.stop();
    expect(s.outcomes.slice(0, 3)).toMatchObject([
      { phase: 'read', status: 503, message: 'the swarm has no leader at the moment' },
      { phase: 'read', status: 0, message: 'connect ECONNREFUSED' },
      { phase: 'read', status: 200, message: 'the answer has no Version.Index or Spec' },
    ]);
  });

  it('counts a failed update as an update failure with the server message', async () => {
    const m = new FakeManager('m1');
    const ok = { ...(await m.request('GET', '/services/s1')) };
    m.requests.length = 0;
    m.script.push(ok, error(503, 'could not forward the write to the leader'));
    const s = streamOn(m);
    s.start();
    await s.successesSentFrom(0, 1);
    await s.stop();
    expect(s.outcomes[0]).toMatchObject({
      kind: 'failure',
      phase: 'update',
      status: 503,
      message: 'could not forward the write to the leader',
    });
  });

  it('waits for the nth success of an update sent at or after a time', async () => {
    const m = new FakeManager('m1');
    const s = streamOn(m);
    s.start();
    await s.successesSentFrom(0, 2);
    const from = s.outcomes.at(-1)!.doneAt + 1;
    const doneAt = await s.successesSentFrom(from, 2);
    await s.stop();
    const after = s.outcomes.filter((o) => o.kind === 'success' && o.sentAt >= from);
    expect(after[1]!.doneAt).toBe(doneAt);
    // Already satisfied by history: answered at once.
    await expect(s.successesSentFrom(0, 1)).resolves.toBe(s.outcomes[0]!.doneAt);
  });

  it('sends to the new target after retarget, and rejects waiters when stopped', async () => {
    const a = new FakeManager('a');
    const b = new FakeManager('b');
    const s = streamOn(a);
    s.start();
    await s.successesSentFrom(0, 1);
    s.retarget(b);
    expect(s.targetName).toBe('b');
    await s.successesSentFrom(s.outcomes.at(-1)!.doneAt + 1, 2);
    expect(s.outcomes.some((o) => o.target === 'b')).toBe(true);
    const never = s.successesSentFrom(Number.MAX_SAFE_INTEGER);
    await s.stop();
    await expect(never).rejects.toThrow(/stopped/);
    await expect(s.successesSentFrom(Number.MAX_SAFE_INTEGER)).rejects.toThrow(/not running/);
  });

  it('lists the outcomes completed within a window', async () => {
    const m = new FakeManager('m1');
    const s = streamOn(m);
    s.start();
    await s.successesSentFrom(0, 4);
    await s.stop();
    const [, second, third] = s.outcomes;
    expect(s.completedBetween(second!.doneAt, third!.doneAt)).toEqual([second, third]);
  });
});
