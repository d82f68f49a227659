/**
 * A minimal JSON client for shoald's Engine-API-compatible endpoint, over a unix socket or
 * TCP. node:http rather than fetch because fetch cannot dial a unix socket without an extra
 * dispatcher dependency. Every path is prefixed with the API version the CLI was written
 * against, so a newer daemon keeps answering in v1.44 shapes.
 */
import http from 'node:http';
import { ConnectionError, DaemonError } from '../errors/cli.errors';
import type { DaemonHost } from './daemon-host.parser';

export const API_VERSION = '1.44';

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface DaemonClientOptions {
  /** Sent as User-Agent so daemon logs can tell shoal's CLI from docker's. */
  userAgent?: string;
}

/** A response body read as it arrives. */
export interface DaemonStream {
  contentType: string;
  body: AsyncIterable<Buffer>;
  /** Stops reading and drops the connection (the daemon sees the client go). */
  close(): void;
}

export class DaemonClient {
  constructor(
    readonly host: DaemonHost,
    private readonly options: DaemonClientOptions = {},
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, query, body);
  }

  delete<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, query);
  }

  /** Resolves with the decoded body (JSON when it parses, else text, else undefined). */
  request<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options = this.requestOptions(method, path, query);
    if (payload !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.headers['Content-Length'] = Buffer.byteLength(payload);
    }

    return new Promise<T>((resolve, reject) => {
      const req = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(this.connectionError(err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          const decoded = decodeBody(text);
          if (status >= 400) {
            reject(new DaemonError(errorMessage(decoded, text, status), status));
            return;
          }
          resolve(decoded as T);
        });
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * A GET whose body is read as it arrives (a log stream). Resolves once the daemon has sent
   * its headers; an error status rejects with a DaemonError, as request() does. A connection
   * lost mid-body ends the iteration with a ConnectionError.
   */
  stream(path: string, query?: Query): Promise<DaemonStream> {
    return new Promise<DaemonStream>((resolve, reject) => {
      const req = http.request(this.requestOptions('GET', path, query), (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (err) => reject(this.connectionError(err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            reject(new DaemonError(errorMessage(decodeBody(text), text, status), status));
          });
          return;
        }
        const where = this.host.display;
        resolve({
          contentType: String(res.headers['content-type'] ?? ''),
          body: (async function* () {
            try {
              for await (const chunk of res) yield chunk as Buffer;
            } catch (err) {
              throw new ConnectionError(
                `The shoal daemon at ${where} broke off the stream: ${(err as Error).message}`,
              );
            }
          })(),
          close: () => req.destroy(),
        });
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      req.end();
    });
  }

  private requestOptions(
    method: string,
    path: string,
    query: Query | undefined,
  ): http.RequestOptions & { headers: http.OutgoingHttpHeaders } {
    const target =
      this.host.kind === 'unix'
        ? { socketPath: this.host.socketPath }
        : { hostname: this.host.hostname, port: this.host.port };
    return {
      ...target,
      method,
      path: `/v${API_VERSION}${path}${encodeQuery(query)}`,
      headers: { 'User-Agent': this.options.userAgent ?? 'shoal-cli' },
    };
  }

  /** Turns socket-level failures into one sentence that names the address we tried. */
  private connectionError(err: NodeJS.ErrnoException): ConnectionError {
    const where = this.host.display;
    const hint = 'Is shoald running there? Use -H or SHOAL_HOST to reach another daemon.';
    switch (err.code) {
      case 'ENOENT':
        return new ConnectionError(
          `Cannot connect to the shoal daemon at ${where}: no such socket. ${hint}`,
        );
      case 'ECONNREFUSED':
        return new ConnectionError(
          `Cannot connect to the shoal daemon at ${where}: connection refused. ${hint}`,
        );
      case 'EACCES':
      case 'EPERM':
        return new ConnectionError(
          `Permission denied while connecting to the shoal daemon at ${where}: ` +
            'run as a user that can open the socket.',
        );
      default:
        return new ConnectionError(
          `Cannot connect to the shoal daemon at ${where}: ${err.message}`,
        );
    }
  }
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function decodeBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // /swarm/init may answer text/plain with the bare node ID; keep any non-JSON body as text.
    return text;
  }
}

function errorMessage(decoded: unknown, text: string, status: number): string {
  if (decoded && typeof decoded === 'object' && 'message' in decoded) {
    const message = (decoded as { message: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  const trimmed = text.trim();
  return trimmed === '' ? `HTTP ${status} with an empty body` : trimmed;
}
