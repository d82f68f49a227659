import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioApi, type ScenarioOptions } from './scenario';

/** An in-memory stand-in for the engine API: enough for the scenario's creates and inspects. */
class FakeApi implements ScenarioApi {
  readonly services = new Map<string, unknown>();
  readonly calls: string[] = [];
  failCreatesAt = new Set<number>();
  delayMs = 0;
  private n = 0;

  async json(method: string, path: string, body: unknown, ok: readonly number[]) {
    this.calls.push(`${method} ${path}`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (method === 'POST' && path === '/services/create') {
      const i = this.n++;
      if (this.failCreatesAt.has(i)) throw new Error('HTTP 500');
      const id = `id${i}`;
      this.services.set(id, body);
      expect(ok).toEqual([201]);
      return { ID: id };
    }
    const m = /^\/services\/(.+)$/.exec(path);
    if (method === 'GET' && m && this.services.has(m[1]!)) return this.services.get(m[1]!);
    throw new Error(`unexpected ${method} ${path}`);
  }
}

function options(over: Partial<ScenarioOptions> = {}): ScenarioOptions & { lines: string[] } {
  const lines: string[] = [];
  let rss = 100;
  return {
    runId: 'r1',
    warmupCreates: 5,
    warmupInspects: 5,
    creates: 10,
    inspects: 20,
    concurrency: 4,
    services: 60,
    checkpoints: [30],
    fillBudgetSec: 60,
    settleMs: 0,
    seed: 1,
    log: (l) => lines.push(l),
    // Memory grows by 1 MiB per reading; CPU by 10 ms per reading.
    readMemory: () => ({ rssBytes: (rss += 1) * 2 ** 20, hwmBytes: rss * 2 ** 20 }),
    readCpuMs: (() => {
      let cpu = 0;
      return () => (cpu += 10);
    })(),
    lines,
    ...over,
  };
}

describe('runScenario', () => {
  it('measures each phase with the planned counts and reads RSS at every checkpoint', async () => {
    const api = new FakeApi();
    const ids: string[] = [];
    const r = await runScenario(api, 42, options(), ids);
    expect(ids).toHaveLength(60);
    expect(api.services.size).toBe(60);
    expect(r.create.n).toBe(10);
    expect(r.inspect.n).toBe(20);
    expect(r.createConcurrent).toMatchObject({ n: 45, errors: 0, concurrency: 4 });
    expect(r.fillFromServices).toBe(15);
    expect(r.baseline).toMatchObject({ target: 0, services: 0 });
    expect(r.checkpoints.map((c) => [c.target, c.services, c.complete])).toEqual([
      [30, 30, true],
      [60, 60, true],
    ]);
    expect(r.checkpoints[1]!.rssBytes).toBeGreaterThan(r.checkpoints[0]!.rssBytes);
    // Two segments, 10 ms of CPU each, over 45 creates.
    expect(r.createConcurrent.serverCpuMsPerCreate).toBeCloseTo(20 / 45);
    expect(r.stoppedEarly).toBeUndefined();
    // Inspects only ever ask for services that exist (the fake throws otherwise).
    expect(api.calls.filter((c) => c.startsWith('GET')).length).toBe(25);
  });

  it('uses unique names and the run label on every create', async () => {
    const api = new FakeApi();
    await runScenario(api, undefined, options(), []);
    const names = [...api.services.values()].map((s) => (s as { Name: string }).Name);
    expect(new Set(names).size).toBe(60);
    expect(names.every((n) => n.startsWith('bench-r1-'))).toBe(true);
  });

  it('works without a pid: latency only, no memory figures', async () => {
    const r = await runScenario(new FakeApi(), undefined, options(), []);
    expect(r.baseline).toBeUndefined();
    expect(r.checkpoints).toEqual([]);
    expect(r.createConcurrent.serverCpuMsPerCreate).toBeNaN();
    expect(r.create.n).toBe(10);
  });

  it('counts failed creates as errors and reports them', async () => {
    const api = new FakeApi();
    api.failCreatesAt = new Set([7, 40]);
    const opts = options();
    const ids: string[] = [];
    const r = await runScenario(api, 1, opts, ids);
    expect(r.create.errors + r.createConcurrent.errors).toBe(2);
    // The fill aims at counts of stored services, so it makes up for the sequential phase's
    // failure; the failure in its own last segment stays a gap.
    expect(ids).toHaveLength(59);
    expect(opts.lines.some((l) => l.includes('WITH 1 ERRORS'))).toBe(true);
  });

  it('stops filling at the last checkpoint when the rest would overrun the budget', async () => {
    const api = new FakeApi();
    api.delayMs = 5;
    // ~4 clients × 5 ms: a few hundred creates/s, so 15 → 30 takes well under a second, but
    // 30 → 100,000 would take far longer than the 1 s budget.
    const r = await runScenario(api, 1, options({ services: 100_000, fillBudgetSec: 1 }), []);
    expect(r.checkpoints.map((c) => c.target)).toEqual([30]);
    expect(r.stoppedEarly).toMatch(/100000 would take longer than the 1 s budget/);
  });

  it('fails clearly when not even a warm-up create succeeds', async () => {
    const api = new FakeApi();
    api.failCreatesAt = new Set([0, 1, 2, 3, 4]);
    await expect(runScenario(api, 1, options(), [])).rejects.toThrow(/no warm-up create/);
  });

  it('stops issuing requests and throws the reason once aborted', async () => {
    const api = new FakeApi();
    const ac = new AbortController();
    const ids: string[] = [];
    const run = runScenario(api, 1, options({ signal: ac.signal }), ids);
    await new Promise((r) => setTimeout(r, 0));
    ac.abort(new Error('interrupted by SIGINT'));
    await expect(run).rejects.toThrow('interrupted by SIGINT');
    const created = ids.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(ids.length).toBe(created);
    expect(created).toBeLessThan(60);
  });
});
