import { Controller, Get, Head, Inject, Req, Res } from '@nestjs/common';
import { type SystemInfo, type SystemVersion } from '@shoal/api';
import { SWARM_RUNTIME, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from '../api.options';
import { EventsService } from '../events/events.service';
import { readSwarmFacts, swarmStatus } from './swarm-facts';
import { buildSystemInfo, buildSystemVersion } from './system-info.builder';
import { type ApiRequest, type ApiResponse } from '../http/http.types';

/** GET/HEAD /_ping, GET /version, GET /info. The shapes are composed in system-info.builder. */
@Controller()
export class SystemController {
  constructor(
    @Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime,
    @Inject(API_CONTEXT) private readonly ctx: ApiContext,
    @Inject(EventsService) private readonly events: EventsService,
  ) {}

  // HEAD before GET: express answers HEAD with the first route that takes GET otherwise.
  @Head('_ping')
  pingHead(@Req() req: ApiRequest, @Res() res: ApiResponse): void {
    this.ping(req, res);
  }

  /**
   * Docker's ping: "OK" as text/plain, no caching, and the Swarm header the docker CLI reads
   * to decide whether swarm commands make sense here. Builder-Version is not sent: there is
   * no builder.
   */
  @Get('_ping')
  ping(@Req() req: ApiRequest, @Res() res: ApiResponse): void {
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Swarm', swarmStatus(this.runtime));
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (req.method === 'HEAD') {
      res.setHeader('Content-Length', '0');
      res.status(200).end();
      return;
    }
    res.status(200).send('OK');
  }

  @Get('version')
  version(): SystemVersion {
    return buildSystemVersion(this.ctx.hostFacts(), this.ctx.build);
  }

  @Get('info')
  info(): SystemInfo {
    return buildSystemInfo(this.ctx.hostFacts(), this.ctx.build, readSwarmFacts(this.runtime), {
      engineId: this.ctx.engineId,
      rootDir: this.ctx.rootDir,
      systemTime: new Date(this.ctx.clock.now()).toISOString(),
      eventsListeners: this.events.feed.listenerCount,
    });
  }
}
