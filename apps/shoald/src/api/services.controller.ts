import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  parseBoolQuery,
  parseIntQuery,
  parseServiceUpdateQuery,
  type Service,
  type ServiceCreateResponse,
} from '@shoal/api';
import { ServiceControl, type ServiceWarnings } from '../control/service.control';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';

type QueryParams = Record<string, unknown>;

/** /services endpoints. Thin: the rules are in ServiceControl. Scaling is a client-side update. */
@Controller()
export class ServicesController {
  constructor(@Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime) {}

  private control(): ServiceControl {
    return new ServiceControl(this.runtime.manager());
  }

  /** GET /services?filters={...}&status=bool → Service[]. */
  @Get('services')
  list(@Query() query: QueryParams): Promise<Service[]> {
    return this.control().list(query['filters'], {
      status: parseBoolQuery('status', query['status']),
    });
  }

  /** POST /services/create with a ServiceSpec → 201 {ID, Warnings}. */
  @Post('services/create')
  @HttpCode(201)
  create(
    @Body() body: unknown,
    @Headers('x-registry-auth') registryAuth?: string,
  ): Promise<ServiceCreateResponse> {
    return this.control().create(body, nonEmpty(registryAuth));
  }

  /** GET /services/{id}?insertDefaults=bool (ID, name or unique ID prefix) → Service. */
  @Get('services/:id')
  inspect(@Param('id') id: string, @Query() query: QueryParams): Promise<Service> {
    return this.control().inspect(id, parseBoolQuery('insertDefaults', query['insertDefaults']));
  }

  /**
   * POST /services/{id}/update?version=N[&rollback=previous][&registryAuthFrom=...] with the
   * complete new ServiceSpec → 200 {Warnings}.
   */
  @Post('services/:id/update')
  @HttpCode(200)
  update(
    @Param('id') id: string,
    @Query() query: QueryParams,
    @Body() body: unknown,
    @Headers('x-registry-auth') registryAuth?: string,
  ): Promise<ServiceWarnings> {
    const q = parseServiceUpdateQuery(query);
    return this.control().update(id, q.version, body, {
      rollback: q.rollback,
      registryAuthFrom: q.registryAuthFrom,
      ...nonEmpty(registryAuth),
    });
  }

  /**
   * POST /services/{id}/promote[?version=N] → 200, empty: Shoal's own (Docker has no canary
   * step). A service paused in its canary step (label `shoal.update.canary`) goes on with its
   * update; 409 when it is not waiting for promotion or the version is stale, 404 unknown.
   */
  @Post('services/:id/promote')
  @HttpCode(200)
  async promote(@Param('id') id: string, @Query() query: QueryParams): Promise<void> {
    const version = parseIntQuery('version', query['version'], { defaultValue: -1 });
    await this.control().promote(id, version < 0 ? undefined : version);
  }

  /** DELETE /services/{id} → 200, empty. */
  @Delete('services/:id')
  async remove(@Param('id') id: string): Promise<void> {
    await this.control().remove(id);
  }
}

function nonEmpty(registryAuth: string | undefined): { registryAuth?: string } {
  return registryAuth ? { registryAuth } : {};
}
