import { parseExposition, type Sample, samplesOf, valueOf } from '@shoal/metrics/registry.testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from './shoald/shoald-process';
import { unixRequest } from './shoald/unix-http';
import { httpGet, loggedMetricsAddress } from './shoald/metrics-endpoint';

const get = async (url: string): Promise<string> => (await httpGet(url)).body;

const CPU = 'shoal_task_cpu_seconds_total';
const MEM = 'shoal_task_memory_bytes';

export interface AgentMetricsSuiteOptions {
  executor: 'process' | 'docker';
  /** Before the daemon starts (start dockerd, build the image). */
  before?(): Promise<void>;
  /** After the daemon stopped, with its node ID (remove the containers it left). */
  after?(nodeId: string): Promise<void>;
}

/**
 * The agent's metrics of a real shoald running real tasks: the tasks by state, the
 * executor's call latencies, and each task's CPU and memory (from /proc for the process
 * executor, from the engine's stats for the docker one), following a service as it starts,
 * scales down and is removed.
 */
export function describeAgentMetrics(o: AgentMetricsSuiteOptions): void {
  describe(`shoald agent metrics (${o.executor} executor)`, () => {
    let daemon: ShoaldProcess;
    let url = '';
    let serviceId = '';
    const scrape = async (): Promise<Sample[]> => parseExposition(await get(url));
    const api = (method: string, p: string, body?: unknown) =>
      unixRequest(daemon.socket, method, `/v1.44${p}`, body);

    /** Scrapes until `check` passes (it throws until then), for up to 15 s. */
    async function until(check: (samples: Sample[]) => void): Promise<Sample[]> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const samples = await scrape();
        try {
          check(samples);
          return samples;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    let nodeId = '';

    beforeAll(async () => {
      await o.before?.();
      daemon = await ShoaldProcess.inTempDir('shoald-agent-metrics-');
      daemon.o.extraArgs = [
        '--metrics-addr',
        '127.0.0.1:0',
        '--log-level',
        'info',
        '--executor',
        o.executor,
      ];
      await daemon.start();
      url = `http://${loggedMetricsAddress(daemon.stderr)}/metrics`;
      const init = await api('POST', '/swarm/init', { ListenAddr: '', AdvertiseAddr: '' });
      expect(init.status, init.text).toBe(200);
      nodeId = init.json as string;
    }, 60_000);

    afterAll(async () => {
      await daemon?.dispose();
      if (nodeId) await o.after?.(nodeId);
    }, 30_000);

    it('exports each running task: CPU that accrues, memory, labelled with its service', async () => {
      const created = await api('POST', '/services/create', {
        Name: 'burner',
        TaskTemplate: {
          ContainerSpec: {
            Image: 'busybox:local',
            Command: ['sh', '-c', 'while :; do :; done'],
            // The loop ignores SIGTERM as a container's PID 1: do not wait 10 s for it.
            StopGracePeriod: 1e9,
          },
        },
        Mode: { Replicated: { Replicas: 2 } },
      });
      expect(created.status, created.text).toBe(201);
      serviceId = (created.json as { ID: string }).ID;

      const first = await until((s) => {
        expect(valueOf(s, 'shoal_agent_tasks', { state: 'running' })).toBe(2);
        expect(samplesOf(s, CPU)).toHaveLength(2);
      });
      for (const sample of samplesOf(first, CPU)) {
        expect(sample.labels).toMatchObject({ service_id: serviceId, service_name: 'burner' });
        expect(['1', '2']).toContain(sample.labels.slot);
      }
      for (const sample of samplesOf(first, MEM)) expect(sample.value).toBeGreaterThan(0);
      for (const operation of ['prepare', 'start']) {
        expect(
          valueOf(first, 'shoal_executor_operation_duration_seconds_count', {
            executor: o.executor,
            operation,
            outcome: 'ok',
          }),
        ).toBe(2);
      }

      const taskId = samplesOf(first, CPU)[0]!.labels.task_id!;
      const before = valueOf(first, CPU, { task_id: taskId })!;
      await new Promise((r) => setTimeout(r, 1_500));
      const later = await scrape();
      // A busy loop for 1.5 s on a machine other tests share: well above nothing.
      expect(valueOf(later, CPU, { task_id: taskId })! - before).toBeGreaterThan(0.3);
    }, 40_000);

    it('drops the series of tasks that ended', async () => {
      const current = await api('GET', `/services/${serviceId}`);
      const svc = current.json as { Version: { Index: number }; Spec: Record<string, unknown> };
      const scaled = await api(
        'POST',
        `/services/${serviceId}/update?version=${svc.Version.Index}`,
        {
          ...svc.Spec,
          Mode: { Replicated: { Replicas: 1 } },
        },
      );
      expect(scaled.status, scaled.text).toBe(200);
      await until((s) => {
        expect(samplesOf(s, CPU)).toHaveLength(1);
        expect(samplesOf(s, MEM)).toHaveLength(1);
        expect(valueOf(s, 'shoal_agent_tasks', { state: 'running' })).toBe(1);
      });

      expect((await api('DELETE', `/services/${serviceId}`)).status).toBe(200);
      const gone = await until((s) => {
        expect(samplesOf(s, CPU)).toEqual([]);
        expect(valueOf(s, 'shoal_agent_tasks', { state: 'running' })).toBe(0);
      });
      expect(samplesOf(gone, MEM)).toEqual([]);
      expect(
        valueOf(gone, 'shoal_executor_operation_duration_seconds_count', {
          executor: o.executor,
          operation: 'shutdown',
          outcome: 'ok',
        }),
      ).toBeGreaterThanOrEqual(2);
    }, 40_000);
  });
}
