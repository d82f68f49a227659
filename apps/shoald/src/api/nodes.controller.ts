import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { type Node, parseBoolQuery, parseIntQuery } from '@shoal/api';
import { NodeControl } from '../control/node.control';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';

type QueryParams = Record<string, unknown>;

/** /nodes endpoints. Thin: the rules are in NodeControl. */
@Controller()
export class NodesController {
  constructor(@Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime) {}

  private control(): NodeControl {
    // manager() throws Docker's 503 when this node is not a manager.
    return new NodeControl(this.runtime.manager());
  }

  /** GET /nodes?filters={...} → Node[]. */
  @Get('nodes')
  list(@Query() query: QueryParams): Promise<Node[]> {
    return this.control().list(query['filters']);
  }

  /** GET /nodes/{id} (ID, hostname or unique ID prefix) → Node; 404 "node <id> not found". */
  @Get('nodes/:id')
  inspect(@Param('id') id: string): Promise<Node> {
    return this.control().inspect(id);
  }

  /** POST /nodes/{id}/update?version=N with a NodeSpec → 200, empty. */
  @Post('nodes/:id/update')
  @HttpCode(200)
  async update(
    @Param('id') id: string,
    @Query() query: QueryParams,
    @Body() body: unknown,
  ): Promise<void> {
    const version = parseIntQuery('version', query['version']);
    await this.control().update(id, version, body);
  }

  /** DELETE /nodes/{id}?force → 200, empty. */
  @Delete('nodes/:id')
  async remove(@Param('id') id: string, @Query() query: QueryParams): Promise<void> {
    await this.control().remove(id, parseBoolQuery('force', query['force']));
  }
}
