import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { InvalidArgumentError } from '@shoal/api';
import { parseEventsQuery } from './events.query';
import { EventsService } from './events.service';
import { type ApiResponse } from '../http/http.types';

/** GET /events: a newline-delimited stream of EventMessage objects (see EventsService). */
@Controller()
export class EventsController {
  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  @Get('events')
  stream(@Query() query: Record<string, unknown>, @Res() res: ApiResponse): void {
    // Parsed before anything is written, so a bad query is still a plain 400.
    this.events.stream(res, parseEventsQuery(query));
  }

  /** Reached only without an Upgrade header: the upgrade itself is events.websocket.ts's. */
  @Get('events/ws')
  notUpgraded(): never {
    throw new InvalidArgumentError(
      '/events/ws is a WebSocket endpoint: connect with "Upgrade: websocket" (or use /events)',
    );
  }
}
