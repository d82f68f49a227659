import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { watchChild, waitUntilServing } from '../child-process';
import { freePorts } from '../free-port';
import { PROMETHEUS_BIN, requirePrometheus } from './prometheus-bin';

/** One target as GET /api/v1/targets lists it. */
export interface PromTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** One series of an instant query's vector result. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * A real Prometheus server for tests: its own temp dir for the config and the TSDB, on a
 * free loopback port, stopped (SIGTERM, then SIGKILL) and removed by dispose().
 */
export class PrometheusProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  stderr = '';

  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly port: number,
  ) {}

  /** Writes `configYaml` and starts Prometheus on it; resolves once /-/ready answers 200. */
  static async start(configYaml: string, timeoutMs = 30_000): Promise<PrometheusProcess> {
    requirePrometheus();
    const dir = await mkdtemp(path.join(tmpdir(), 'shoal-prometheus-'));
    const [port] = await freePorts(1);
    const p = new PrometheusProcess(dir, `http://127.0.0.1:${port}`, port!);
    await writeFile(path.join(dir, 'prometheus.yml'), configYaml);
    await p.spawn(timeoutMs);
    return p;
  }

  private async spawn(timeoutMs: number): Promise<void> {
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.exited = watchChild(child, (tail) => (this.stderr = tail));
    await waitUntilServing(
      'prometheus',
      child,
      async () => (await fetch(`${this.url}/-/ready`)).status === 200,
      { timeoutMs, intervalMs: 100, stderr: () => this.stderr },
    );
  }

  private async api<T>(p: string): Promise<T> {
    const res = await fetch(`${this.url}${p}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${p}: ${body.error ?? res.status}`);
    return body.data;
  }

  async activeTargets(): Promise<PromTarget[]> {
    return (await this.api<{ activeTargets: PromTarget[] }>('/api/v1/targets?state=active'))
      .activeTargets;
  }

  async query(expr: string): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: PromSample[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    return data.result;
  }

  /** Prometheus's own /metrics, as text. */
  async selfMetrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
