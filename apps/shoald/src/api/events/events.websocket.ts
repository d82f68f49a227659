import http from 'node:http';
import { type Duplex } from 'node:stream';
import { ApiError } from '@shoal/api';
import { type Logger } from '@shoal/common';
import { WebSocket, WebSocketServer } from 'ws';
import { resolveVersionPrefix } from '../http/version-prefix.middleware';
import { encodeEventLine } from './event-message.mapper';
import { parseEventsQuery } from './events.query';
import { type EventSink, type EventsService } from './events.service';

/** The WebSocket endpoint's path, after the optional /v1.xx prefix. */
export const EVENTS_WS_PATH = '/events/ws';

/** After a shutdown close frame, how long a client gets to answer before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Serves GET /events/ws (and /v1.xx/events/ws) on `server`: the /events stream over a
 * WebSocket, for dashboards that cannot read a chunked HTTP body.
 *
 * - Same query as /events (since, until, filters). A bad one is refused with the same 400
 *   and `{"message": ...}` body before the upgrade, so a client sees why.
 * - One text message per event: the /events line without its newline (timeNano exact).
 * - Keepalive: a ping every limits.pingIntervalMs; a client that has not answered the
 *   previous one by then is dropped (half-open TCP would otherwise hold it forever).
 * - A client whose unsent data passes limits.maxPendingBytes is cut off (EventsService),
 *   as on /events; `until` reached closes with 1000, shutdown with 1001.
 * - Client messages are ignored; frames are capped small since none are expected.
 *
 * The upgrade is handled on the Node server, below Express: Express never sees upgrade
 * requests. Every server the app listens on needs this hook; createApiApp attaches it to
 * the app's server. Returns a function that detaches it.
 *
 * `refusal` is the listener's access rule (the read-only listener's readOnlyRefusal), which
 * Express middleware cannot apply here: a message means 403 before anything else is done.
 */
export function attachEventsWebSocket(
  server: http.Server,
  events: EventsService,
  logger: Logger,
  refusal?: (req: http.IncomingMessage) => string | undefined,
): () => void {
  const log = logger.child({ component: 'events-ws' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false });

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // An exception here would escape into the HTTP server's 'upgrade' emit, where nothing
    // catches it, and take the whole daemon down: one request must never be able to.
    try {
      handle(req, socket, head);
    } catch (err) {
      log.error('cannot handle a WebSocket upgrade', { error: (err as Error).message });
      try {
        if (!socket.destroyed) refuse(socket, 500, 'internal error');
      } catch {
        socket.destroy();
      }
    }
  };
  const handle = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusal?.(req);
    if (refused !== undefined) return refuse(socket, 403, refused);
    const resolved = resolveVersionPrefix(req.url ?? '/');
    if ('error' in resolved) return refuse(socket, 400, resolved.error);
    let url: URL;
    try {
      // Node's parser lets through absolute-form targets that are not URLs
      // (http://[/x, http://a:99999/x, http://%zz/x): the client's error, not ours.
      url = new URL(resolved.url, 'http://localhost');
    } catch {
      return refuse(socket, 400, `invalid request target: ${req.url}`);
    }
    if (url.pathname !== EVENTS_WS_PATH) {
      // Another hook may serve this path; answer only when nobody else listens.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'page not found');
      return;
    }
    if (req.method !== 'GET') return refuse(socket, 405, 'method not allowed');
    let query;
    try {
      query = parseEventsQuery(queryRecord(url.searchParams));
    } catch (err) {
      if (err instanceof ApiError) return refuse(socket, err.status, err.message);
      log.error('cannot parse an events query', { error: (err as Error).message });
      return refuse(socket, 500, 'internal error');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Past the 101 an HTTP error can no longer be sent: a failure drops the connection.
      try {
        serve(ws, events, query);
      } catch (err) {
        log.error('cannot serve an events WebSocket', { error: (err as Error).message });
        ws.terminate();
      }
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
  };
}

function serve(ws: WebSocket, events: EventsService, query: ReturnType<typeof parseEventsQuery>) {
  let alive = true;
  ws.on('pong', () => {
    alive = true;
  });
  // A socket error is followed by 'close'; without a listener it would be thrown.
  ws.on('error', () => undefined);
  const ping = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, events.limits.pingIntervalMs);
  ping.unref();
  ws.once('close', () => clearInterval(ping));

  const sink: EventSink = {
    send: (event) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeEventLine(event).slice(0, -1));
    },
    get pendingBytes() {
      return ws.bufferedAmount;
    },
    close: (reason) => {
      if (reason === 'slow') {
        // Its buffer is full: a close frame would queue behind it.
        ws.terminate();
        return;
      }
      ws.close(reason === 'shutdown' ? 1001 : 1000, reason === 'shutdown' ? 'shutting down' : '');
      if (reason === 'shutdown') {
        // Upgraded sockets are not the HTTP server's to force-close: do not let a client
        // that never answers the close frame hold the server open.
        const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        cut.unref();
        ws.once('close', () => clearTimeout(cut));
      }
    },
    onGone: (callback) => ws.once('close', callback),
  };
  events.subscribe(sink, query);
}

/** The query as Express would give it to /events: repeated names become arrays. */
function queryRecord(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** An HTTP error response written on the raw socket, in the API's `{"message"}` shape. */
function refuse(socket: Duplex, status: number, message: string): void {
  // Node took its own error listener off the socket when it handed it to 'upgrade'; a client
  // that already closed or reset the connection makes this write fail, and an 'error' that
  // nobody listens to is thrown as an uncaught exception.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
