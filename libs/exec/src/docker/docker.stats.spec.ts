import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type Task } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerExecutor, STATS_CONCURRENCY } from './docker.executor';

/**
 * DockerExecutor.stats() against a fake engine on a unix socket, for what the real one
 * cannot show reliably: the exact request (one-shot, nothing else in the query), how each
 * answer is treated, and the concurrency limit.
 */
let dir: string;
let server: http.Server;
let socketPath: string;
const requests: string[] = [];
let inFlight = 0;
let maxInFlight = 0;
/** Per container name: the status and body to answer; absent means 404. */
const answers = new Map<string, { status: number; body: unknown; delayMs?: number }>();

const sample = (cpuNs: number, usage: number) => ({
  read: '2026-11-22T16:00:00Z',
  cpu_stats: { cpu_usage: { total_usage: cpuNs } },
  memory_stats: { usage, stats: { total_inactive_file: 100 } },
});

function task(id: string, slot: number): Task {
  return { ID: id, ServiceID: 'svc', Slot: slot, ServiceAnnotations: { Name: 'web' } } as Task;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'shoal-fake-engine-'));
  socketPath = path.join(dir, 'docker.sock');
  requests.length = 0;
  answers.clear();
  inFlight = maxInFlight = 0;
  server = http.createServer((req, res) => {
    requests.push(req.url!);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const name = decodeURIComponent(/\/containers\/([^/]+)\/stats/.exec(req.url!)?.[1] ?? '');
    const a = answers.get(name) ?? { status: 404, body: { message: `No such container: ${name}` } };
    setTimeout(() => {
      inFlight--;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    }, a.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('DockerExecutor.stats (fake engine)', () => {
  it('asks for one one-shot sample per task container, by its Swarm name', async () => {
    answers.set('web.1.a', { status: 200, body: sample(3e9, 1_100) });
    const executor = new DockerExecutor({ socketPath, nodeId: 'n1' });
    const { stats, errors } = await executor.stats([task('a', 1)], new AbortController().signal);
    expect(stats.get('a')).toEqual({ cpuSeconds: 3, memoryBytes: 1_000 });
    expect(errors).toEqual([]);
    // The signal travels apart from the query: one-shot and stream only.
    expect(requests).toEqual(['/containers/web.1.a/stats?stream=false&one-shot=true']);
  });

  it('leaves out a missing container, reports an engine error, and keeps the others', async () => {
    answers.set('web.1.a', { status: 200, body: sample(1e9, 500) });
    answers.set('web.2.b', { status: 500, body: { message: 'cgroup read failed' } });
    const executor = new DockerExecutor({ socketPath, nodeId: 'n1' });
    const { stats, errors } = await executor.stats([task('a', 1), task('b', 2), task('c', 3)]);
    expect([...stats.keys()]).toEqual(['a']);
    expect(errors.map((e) => [e.taskId, e.error.message])).toEqual([
      ['b', 'docker: stats web.2.b: cgroup read failed'],
    ]);
  });

  it('keeps at most STATS_CONCURRENCY requests in flight, and stops when aborted', async () => {
    const tasks = Array.from({ length: 40 }, (_, i) => task(`t${i}`, i + 1));
    for (const t of tasks) {
      answers.set(`web.${t.Slot}.${t.ID}`, { status: 200, body: sample(1e9, 500), delayMs: 20 });
    }
    const executor = new DockerExecutor({ socketPath, nodeId: 'n1' });
    const all = await executor.stats(tasks);
    expect(all.stats.size).toBe(40);
    expect(maxInFlight).toBe(STATS_CONCURRENCY);

    requests.length = 0;
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 5);
    const cut = await executor.stats(tasks, abort.signal);
    expect(cut.errors).toEqual([]);
    expect(cut.stats.size).toBe(0);
    expect(requests.length).toBeLessThanOrEqual(STATS_CONCURRENCY);
  });

  it('when aborted, returns at once with the samples that came in before', async () => {
    answers.set('web.1.a', { status: 200, body: sample(1e9, 500) });
    answers.set('web.2.b', { status: 200, body: sample(2e9, 700), delayMs: 10_000 });
    answers.set('web.3.c', { status: 200, body: sample(3e9, 900) });
    const executor = new DockerExecutor({ socketPath, nodeId: 'n1' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const t0 = performance.now();
    const cut = await executor.stats([task('a', 1), task('b', 2), task('c', 3)], abort.signal);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect([...cut.stats.keys()].sort()).toEqual(['a', 'c']);
    expect(cut.stats.get('c')).toEqual({ cpuSeconds: 3, memoryBytes: 800 });
    expect(cut.errors).toEqual([]);
  });
});
