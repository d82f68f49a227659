import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { type ApiRequest, type ApiResponse } from '../http/http.types';
import { resolveVersionPrefix } from '../http/version-prefix.middleware';
import { LogsService } from './logs.service';

type QueryParams = Record<string, unknown>;

/**
 * GET /services/{id}/logs and GET /tasks/{id}/logs: Docker's multiplexed log stream (see
 * LogsService for when it ends and how errors show).
 */
@Controller()
export class LogsController {
  constructor(@Inject(LogsService) private readonly logs: LogsService) {}

  @Get('services/:id/logs')
  service(
    @Param('id') id: string,
    @Query() query: QueryParams,
    @Req() req: ApiRequest,
    @Res() res: ApiResponse,
  ): Promise<void> {
    return this.logs.stream(res, 'service', id, query, apiVersionOf(req));
  }

  @Get('tasks/:id/logs')
  task(
    @Param('id') id: string,
    @Query() query: QueryParams,
    @Req() req: ApiRequest,
    @Res() res: ApiResponse,
  ): Promise<void> {
    return this.logs.stream(res, 'task', id, query, apiVersionOf(req));
  }
}

/**
 * The API version the client asked for: the version prefix is stripped before routing, but
 * express keeps the URL as it arrived. Undefined without a prefix (the newest version).
 */
function apiVersionOf(req: ApiRequest): string | undefined {
  const original = (req as ApiRequest & { originalUrl?: string }).originalUrl ?? req.url;
  const resolved = resolveVersionPrefix(original);
  return 'version' in resolved ? resolved.version : undefined;
}
