import { createHash } from 'node:crypto';
import type http from 'node:http';
import os from 'node:os';
import { type INestApplication } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { nullLogger, systemClock } from '@shoal/common';
import { type SwarmRuntime } from '../manager/swarm-runtime.port';
import { SHOAL_VERSION } from '../version';
import { ApiModule } from './api.module';
import { type ApiAppOptions, type ApiContext } from './api.options';
import { DEFAULT_EVENTS_HISTORY } from './events/events.feed';
import { EventsService } from './events/events.service';
import { attachEventsWebSocket } from './events/events.websocket';
import { type ApiRequest, type ApiResponse, type NextFunction } from './http/http.types';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { dockerHeadersMiddleware } from './http/docker-headers.middleware';
import { JsonBodyGuard } from './http/json-body.guard';
import { DEFAULT_BODY_LIMIT_BYTES, jsonBodyMiddleware } from './http/json-body.middleware';
import { nestLogger } from './http/nest-logger.adapter';
import { readOnlyMiddleware, readOnlyRefusal } from './http/read-only.middleware';
import { versionPrefixMiddleware } from './http/version-prefix.middleware';
import { SpecRouteMatcher } from './not-implemented/spec-route.matcher';
import { readHostFacts } from './system/host-facts';

export { listenOnSocket, listenOnTcp, DEFAULT_SOCKET_MODE } from './api.listen';
export type { ApiAppOptions } from './api.options';

export interface TlsOptions {
  /** PEM. */
  key: string | Buffer;
  cert: string | Buffer;
  /** CA that client certificates must chain to. */
  ca: string | Buffer;
}

/**
 * Builds the control API (Decision 1: the Docker Engine API's swarm surface) over a
 * SwarmRuntime. The request pipeline, in order:
 *   1. Docker's response headers (Api-Version, Docker-Experimental, Ostype, Server); with
 *      `readOnly`, anything but GET/HEAD of a few read endpoints, or addressed to a
 *      non-loopback Host/Origin, is refused here (403; readOnlyRefusal);
 *   2. the /v1.24–/v1.44 prefix stripped, other versions refused with Docker's 400;
 *   3. JSON bodies read and parsed for the spec endpoints that take one (json-body);
 *   4. Nest routing: the controllers, then the 501/404 fallback;
 *   5. every error as `{"message": ...}` with Docker's status (ApiExceptionFilter).
 * The app is initialised but not listening: see listenOnSocket / listenOnTcp.
 */
export async function createApiApp(
  runtime: SwarmRuntime,
  opts: ApiAppOptions & { tls?: TlsOptions } = {},
): Promise<INestApplication> {
  const ctx = resolveApiContext(opts);
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.register(runtime, ctx),
    new ExpressAdapter(),
    {
      bodyParser: false,
      logger: nestLogger(ctx.logger),
      // Throw DI errors to the caller instead of exiting the process.
      abortOnError: false,
      // app.close() must not wait for keep-alive connections or open /events streams.
      forceCloseConnections: true,
      ...(opts.tls
        ? {
            httpsOptions: {
              key: opts.tls.key,
              cert: opts.tls.cert,
              ca: opts.tls.ca,
              requestCert: true,
              rejectUnauthorized: true,
            },
          }
        : {}),
    },
  );
  // Express middleware added before init() runs before Nest's routes, in this order.
  app.disable('x-powered-by');
  app.disable('etag'); // dockerd sends none; clients never revalidate
  app.use(dockerHeadersMiddleware(ctx.build.version));
  if (opts.readOnly) app.use(readOnlyMiddleware());
  // A request may have changed what this node is (swarm init, leave): point the events feed
  // at the right store as soon as it is answered, rather than at the next periodic check.
  const events = app.get(EventsService);
  app.use((_req: ApiRequest, res: ApiResponse, next: NextFunction) => {
    res.once('finish', () => events.sync());
    next();
  });
  app.use(versionPrefixMiddleware());
  app.use(jsonBodyMiddleware(new SpecRouteMatcher(), ctx.bodyLimitBytes));
  app.useGlobalFilters(new ApiExceptionFilter(ctx.logger.child({ component: 'api' })));
  app.useGlobalGuards(new JsonBodyGuard(app.get(Reflector)));
  // /events/ws: WebSocket upgrades never reach Express; they are taken on the server itself.
  // The read-only listener's rules are applied there again, as its middleware never runs.
  attachEventsWebSocket(
    app.getHttpServer() as http.Server,
    events,
    ctx.logger,
    opts.readOnly ? readOnlyRefusal : undefined,
  );
  await app.init();
  return app;
}

export function resolveApiContext(opts: ApiAppOptions): ApiContext {
  const limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`bodyLimitBytes must be a positive integer, got ${limit}`);
  }
  if (opts.eventsFeed && opts.eventsHistory !== undefined) {
    throw new TypeError('eventsHistory sizes a feed the app makes; a given eventsFeed has its own');
  }
  return {
    logger: opts.logger ?? nullLogger,
    bodyLimitBytes: limit,
    build: {
      version: opts.version ?? SHOAL_VERSION,
      gitCommit: opts.gitCommit ?? 'unknown',
      ...(opts.buildTime ? { buildTime: opts.buildTime } : {}),
    },
    engineId: opts.engineId ?? engineIdFor(os.hostname()),
    rootDir: opts.rootDir ?? '',
    eventsHistory: opts.eventsHistory ?? DEFAULT_EVENTS_HISTORY,
    ...(opts.eventsFeed ? { eventsFeed: opts.eventsFeed } : {}),
    clock: opts.clock ?? systemClock,
    hostFacts: opts.hostFacts ?? readHostFacts,
  };
}

/** A UUID-shaped ID derived from the hostname: stable across restarts, distinct per host. */
export function engineIdFor(hostname: string): string {
  const h = createHash('sha256').update(`shoal-engine:${hostname}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
