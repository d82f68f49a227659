import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import {
  applySwarmSpecDefaults,
  InvalidArgumentError,
  parseBoolQuery,
  parseSwarmUpdateQuery,
  type Swarm,
  type SwarmSpec,
  validateSwarmInitRequest,
  validateSwarmJoinRequest,
  validateSwarmUnlockRequest,
} from '@shoal/api';
import { SwarmControl } from '../control/swarm.control';
import { refuseUnsupportedSwarmSettings } from '../control/unsupported-swarm-settings';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';
import { type ApiResponse } from './http/http.types';

type QueryParams = Record<string, unknown>;

/**
 * /swarm, /swarm/init, /swarm/join, /swarm/leave, /swarm/update, /swarm/unlock and
 * /swarm/unlockkey. Thin: parsing of the query here, the rules in SwarmControl and the
 * runtime.
 */
@Controller()
export class SwarmController {
  constructor(@Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime) {}

  /** GET /swarm → Swarm (ClusterInfo + JoinTokens); 503 when this node is not a manager. */
  @Get('swarm')
  inspect(): Promise<Swarm> {
    return new SwarmControl(this.runtime.manager()).inspect();
  }

  /**
   * POST /swarm/init → 200 with the new node's ID as a JSON string, as dockerd answers (the
   * docker CLI decodes a JSON string). The spec is validated and defaulted here; an empty
   * ListenAddr/AdvertiseAddr leaves the choice to the daemon's configuration.
   */
  @Post('swarm/init')
  async init(@Body() body: unknown, @Res() res: ApiResponse): Promise<void> {
    const req = validateSwarmInitRequest(body);
    refuseUnsupportedSwarmSettings(req.Spec);
    const name = req.Spec?.Name;
    if (name !== undefined && name !== '' && name !== 'default') {
      throw new InvalidArgumentError('swarm spec must be named "default"');
    }
    const nodeId = await this.runtime.init({
      listenAddr: req.ListenAddr ?? '',
      advertiseAddr: req.AdvertiseAddr ?? '',
      forceNewCluster: req.ForceNewCluster ?? false,
      spec: withAutolock(applySwarmSpecDefaults(req.Spec ?? {}), req.AutoLockManagers),
    });
    res.status(200).json(nodeId);
  }

  /**
   * POST /swarm/join → 200, empty, once this node holds its certificate (and, for a manager,
   * has caught up with the Raft log). A bad or rotated token or a CA mismatch → 400.
   */
  @Post('swarm/join')
  @HttpCode(200)
  async join(@Body() body: unknown): Promise<void> {
    const req = validateSwarmJoinRequest(body);
    await this.runtime.join({
      remoteAddrs: req.RemoteAddrs,
      joinToken: req.JoinToken,
      listenAddr: req.ListenAddr ?? '',
      advertiseAddr: req.AdvertiseAddr ?? '',
      availability: req.Availability || undefined,
    });
  }

  /** GET /swarm/unlockkey → {UnlockKey}: "" while autolock is off. Managers only. */
  @Get('swarm/unlockkey')
  unlockKey(): Promise<{ UnlockKey: string }> {
    return new SwarmControl(this.runtime.manager()).unlockKey();
  }

  /** POST /swarm/unlock {UnlockKey} → 200 once the locked manager runs; a wrong key → 400. */
  @Post('swarm/unlock')
  @HttpCode(200)
  async unlock(@Body() body: unknown): Promise<void> {
    const req = validateSwarmUnlockRequest(body);
    await this.runtime.unlock(req.UnlockKey ?? '');
  }

  /** POST /swarm/leave?force → 200; a manager needs force (503 with Docker's text otherwise). */
  @Post('swarm/leave')
  @HttpCode(200)
  async leave(@Query() query: QueryParams): Promise<void> {
    await this.runtime.leave(parseBoolQuery('force', query['force']));
  }

  /**
   * POST /swarm/update?version=N[&rotateWorkerToken&rotateManagerToken&rotateManagerUnlockKey]
   * → 200, empty. A stale version → 409 "update out of sequence"; rotating a join token
   * makes a new one (the old one admits no new node); the unlock key rotates only while
   * autolock is on (400 otherwise).
   */
  @Post('swarm/update')
  @HttpCode(200)
  async update(@Query() query: QueryParams, @Body() body: unknown): Promise<void> {
    const q = parseSwarmUpdateQuery(query);
    await new SwarmControl(this.runtime.manager()).update(q.version, body, q);
  }
}

/** The init body's top-level AutoLockManagers (what the docker CLI sends) lands in the spec. */
function withAutolock(spec: SwarmSpec, autolock: boolean | undefined): Record<string, unknown> {
  if (!autolock) return spec as Record<string, unknown>;
  return { ...spec, EncryptionConfig: { ...spec.EncryptionConfig, AutoLockManagers: true } };
}
