import { Controller, Get, Inject } from '@nestjs/common';
import { NodeControl } from '../../control/node.control';
import { ServiceControl } from '../../control/service.control';
import { TaskControl } from '../../control/task.control';
import { SWARM_RUNTIME, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from '../api.options';
import { buildMetricsTargets, type TargetGroup } from './metrics-targets';

/**
 * GET /metrics/targets: Shoal's own endpoint (not in the Docker API) for Prometheus's
 * http_sd_configs. Manager-only, like the other cluster-wide reads: a worker answers 503.
 */
@Controller()
export class DiscoveryController {
  /**
   * Causes already logged, so a scrape config polled every few seconds logs each once. It
   * holds only the causes of the latest answer: a service fixed or removed drops out (and is
   * logged again if it breaks again), so the set stays as small as the bad services.
   */
  private reported = new Set<string>();

  constructor(
    @Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime,
    @Inject(API_CONTEXT) private readonly ctx: ApiContext,
  ) {}

  @Get('metrics/targets')
  async targets(): Promise<TargetGroup[]> {
    const manager = this.runtime.manager();
    // Each read waits for a read barrier. A task whose node or service was read a moment
    // earlier and is gone now is skipped rather than listed with half its labels.
    const [nodes, services, tasks] = await Promise.all([
      new NodeControl(manager).list(),
      new ServiceControl(manager).list(undefined, { status: false }),
      new TaskControl(manager).list(JSON.stringify({ 'desired-state': ['running'] })),
    ]);
    const { groups, skipped } = buildMetricsTargets(nodes, services, tasks);
    const current = new Set<string>();
    for (const s of skipped) {
      const key = `${s.serviceId}\u0000${s.reason}`;
      current.add(key);
      if (this.reported.has(key)) continue;
      this.ctx.logger.warn('service not scraped: its prometheus.io labels are unusable', {
        serviceId: s.serviceId,
        service: s.serviceName,
        reason: s.reason,
      });
    }
    this.reported = current;
    return groups;
  }
}
