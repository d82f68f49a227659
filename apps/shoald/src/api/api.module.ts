import { type DynamicModule, Module } from '@nestjs/common';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from './api.options';
import { DiscoveryController } from './discovery/discovery.controller';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { LogsController } from './logs/logs.controller';
import { LogsService } from './logs/logs.service';
import { FallbackController } from './not-implemented/fallback.controller';
import { NetworksController } from './networks.controller';
import { NodesController } from './nodes.controller';
import { ServicesController } from './services.controller';
import { SwarmController } from './swarm.controller';
import { SystemController } from './system/system.controller';
import { TasksController } from './tasks.controller';

/**
 * Every controller of the control API, in registration order. Express matches routes in the
 * order they were added, so FallbackController (the 501/404 catch-all) must stay last.
 */
export const API_CONTROLLERS = [
  SystemController,
  EventsController,
  SwarmController,
  NodesController,
  ServicesController,
  TasksController,
  NetworksController,
  DiscoveryController,
  LogsController,
  FallbackController,
] as const;

/** The control API: one module, so route registration order is the array's order. */
@Module({})
export class ApiModule {
  static register(runtime: SwarmRuntime, ctx: ApiContext): DynamicModule {
    return {
      module: ApiModule,
      controllers: [...API_CONTROLLERS],
      providers: [
        { provide: SWARM_RUNTIME, useValue: runtime },
        { provide: API_CONTEXT, useValue: ctx },
        EventsService,
        LogsService,
      ],
    };
  }
}
