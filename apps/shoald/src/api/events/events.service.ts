import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { type Logger } from '@shoal/common';
import { SWARM_RUNTIME, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from '../api.options';
import { activeManager } from '../system/swarm-facts';
import { encodeEventLine, type FeedEvent } from './event-message.mapper';
import { EventsFeed } from './events.feed';
import { type EventsQuery } from './events.query';
import { type ApiResponse } from '../http/http.types';

/** How often the feed re-checks which store to follow (the node may init, join or leave). */
const FOLLOW_CHECK_MS = 1000;
/** A client this far behind (unsent bytes) is cut off rather than buffered without bound. */
const MAX_PENDING_BYTES = 1024 * 1024;
/** setTimeout's ceiling; longer `until`s are reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Owns the node's EventsFeed and serves /events streams from it, with dockerd's semantics:
 * - headers are flushed at once (the docker CLI waits for them before printing anything);
 * - with `since` and/or `until`, remembered events in that window are sent first;
 * - `until` in the past: the history, then the stream ends; in the future: live events until
 *   that time, then it ends; without `until`: live until the client goes away;
 * - the client's feed subscription (and timer) is released when it disconnects.
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  readonly feed: EventsFeed;
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  /** Open streams, ended on shutdown so the HTTP server can close. */
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime,
    @Inject(API_CONTEXT) private readonly ctx: ApiContext,
  ) {
    this.feed = new EventsFeed(ctx.eventsHistory);
    this.log = ctx.logger.child({ component: 'events' });
  }

  onModuleInit(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), FOLLOW_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const end of [...this.streams]) end();
    this.feed.close();
  }

  onApplicationShutdown(): void {
    this.onModuleDestroy();
  }

  /** Points the feed at this node's store, if it is an active manager. */
  sync(): void {
    try {
      this.feed.follow(activeManager(this.runtime)?.store);
    } catch (err) {
      this.log.warn('cannot follow the store for events', { error: (err as Error).message });
    }
  }

  stream(res: ApiResponse, query: EventsQuery): void {
    this.sync();
    const nowNano = BigInt(Math.trunc(this.ctx.clock.now())) * 1_000_000n;
    const { sinceNano, untilNano, filter } = query;

    // History and subscription in the same synchronous turn: nothing falls between them.
    const buffered =
      sinceNano !== undefined || untilNano !== undefined
        ? this.feed.history({ sinceNano, untilNano }).filter((e) => filter.matches(e.message))
        : [];
    const onlyPast = untilNano !== undefined && untilNano <= nowNano;

    let closed = false;
    let stopListening = () => undefined as void;
    let timer: NodeJS.Timeout | undefined;
    const end = () => {
      if (closed) return;
      closed = true;
      stopListening();
      clearTimeout(timer);
      this.streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    const write = (event: FeedEvent) => {
      if (closed) return;
      res.write(encodeEventLine(event));
      if (res.writableLength > MAX_PENDING_BYTES) {
        this.log.warn('events client too slow; closing its stream', {
          pending: res.writableLength,
        });
        end();
        res.destroy();
      }
    };

    if (!onlyPast && !filter.matchesNothing) {
      stopListening = this.feed.listen((event) => {
        if (untilNano !== undefined && event.timeNano > untilNano) return;
        if (filter.matches(event.message)) write(event);
      });
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.flushHeaders();
    for (const event of buffered) write(event);
    if (closed) return; // cut off while replaying
    if (onlyPast) {
      end();
      return;
    }
    this.streams.add(end);
    // The response's 'close' fires when the client disconnects (or after end()); the
    // request's does not mean that since Node 16, so it is not used.
    res.on('close', end);
    if (untilNano !== undefined) {
      const arm = () => {
        const left = Number(
          (untilNano - BigInt(Math.trunc(this.ctx.clock.now())) * 1_000_000n) / 1_000_000n,
        );
        if (left <= 0) return end();
        timer = setTimeout(arm, Math.min(left + 1, MAX_TIMER_MS));
        timer.unref();
      };
      arm();
    }
  }
}
