import http from 'node:http';

/** Where a test server listens: a TCP port on loopback or a unix socket path. */
export type Target = { port: number; host?: string } | { socketPath: string };

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header names exactly as the server wrote them (rawHeaders), for case checks. */
  rawHeaderNames: string[];
  body: string;
}

export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send the body with chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
}

/**
 * A bare HTTP client for the API tests: node:http rather than fetch, so tests can send
 * malformed bodies, HEAD requests, chunked bodies and unix-socket requests, and see the raw
 * header names.
 */
export function request(
  target: Target,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined && !opts.chunked) {
      headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    }
    const req = http.request(
      {
        ...target,
        host: 'host' in target ? (target.host ?? '127.0.0.1') : undefined,
        method,
        path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaderNames: res.rawHeaders.filter((_, i) => i % 2 === 0),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer (413, 400) and close before the whole body is sent.
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export async function requestJson<T = unknown>(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; headers: http.IncomingHttpHeaders }> {
  const res = await request(target, method, path, {
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }
      : {}),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (res.body ? JSON.parse(res.body) : undefined) as T,
  };
}

/** An open streaming response (GET /events): lines as they arrive. */
export interface LineStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Resolves with the next line, waiting for it if need be. */
  next(timeoutMs?: number): Promise<string>;
  /** Lines received and not yet taken by next(). */
  readonly pending: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openLineStream(target: Target, path: string): Promise<LineStream> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...target,
        host: 'host' in target ? (target.host ?? '127.0.0.1') : undefined,
        method: 'GET',
        path,
        agent: false,
      },
      (res) => {
        const pending: string[] = [];
        const waiters: ((line: string) => void)[] = [];
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const waiter = waiters.shift();
            if (waiter) waiter(line);
            else pending.push(line);
          }
        });
        const ended = new Promise<void>((r) => {
          res.on('end', r);
          res.on('close', r);
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          pending,
          ended,
          next(timeoutMs = 5000) {
            const line = pending.shift();
            if (line !== undefined) return Promise.resolve(line);
            return new Promise((ok, fail) => {
              const timer = setTimeout(() => fail(new Error('no event line in time')), timeoutMs);
              waiters.push((l) => {
                clearTimeout(timer);
                ok(l);
              });
            });
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
