import http from 'node:http';

/**
 * The one client both systems get: Docker Engine API requests as JSON over a unix socket, on
 * keep-alive connections from a private agent (so no connection setup is timed after the first
 * request on each socket). Shoal and dockerd see byte-identical request bodies; only the
 * `/v1.xx` path prefix differs, each server getting the newest version it supports.
 */

export interface EngineResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, or undefined if it is not JSON. */
  json: unknown;
}

export class EngineApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} → HTTP ${status}: ${engineErrorMessage(body)}`);
    this.name = 'EngineApiError';
  }
}

/** Docker answers errors as `{"message": "..."}`; anything else is shown truncated. */
export function engineErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}

/** "1.41" → [1, 41]; throws on anything that is not major.minor. */
export function parseApiVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`not an API version: ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

/** The lower of the server's API version and the newest this benchmark speaks. */
export function pickApiVersion(server: string, newest: string): string {
  const [sa, sb] = parseApiVersion(server);
  const [na, nb] = parseApiVersion(newest);
  return sa < na || (sa === na && sb <= nb) ? `${sa}.${sb}` : `${na}.${nb}`;
}

export interface EngineVersion {
  /** Product version, e.g. "20.10.24+dfsg1" or Shoal's "0.1.0". */
  version: string;
  /** The server's own newest API version. */
  serverApiVersion: string;
  /** The version this client uses in its path prefix. */
  apiVersion: string;
  platform: string;
}

export interface EngineClientOptions {
  /** Connections kept per socket; set to the benchmark's concurrency. */
  maxSockets?: number;
  timeoutMs?: number;
}

export class EngineClient {
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private prefix = '';

  constructor(
    readonly socketPath: string,
    opts: EngineClientOptions = {},
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** The path prefix in use, e.g. "/v1.41"; empty until `negotiate`. */
  get versionPrefix(): string {
    return this.prefix;
  }

  /** Reads the unversioned `GET /version` and pins the prefix to what both sides support. */
  async negotiate(newest = '1.44'): Promise<EngineVersion> {
    const v = (await this.json('GET', '/version', undefined, [200], false)) as {
      Version?: string;
      ApiVersion?: string;
      Platform?: { Name?: string };
    };
    if (!v.ApiVersion) throw new Error(`GET /version on ${this.socketPath} has no ApiVersion`);
    const apiVersion = pickApiVersion(v.ApiVersion, newest);
    this.prefix = `/v${apiVersion}`;
    return {
      version: v.Version ?? 'unknown',
      serverApiVersion: v.ApiVersion,
      apiVersion,
      platform: v.Platform?.Name ?? '',
    };
  }

  /** One request; `path` is unversioned ("/services/create"), the prefix is added here. */
  request(method: string, path: string, body?: unknown, versioned = true): Promise<EngineResponse> {
    const fullPath = versioned ? this.prefix + path : path;
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path: fullPath,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {},
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, json });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${fullPath} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request whose status must be one of `ok`; resolves with the parsed body. */
  async json(
    method: string,
    path: string,
    body: unknown,
    ok: readonly number[],
    versioned = true,
  ): Promise<unknown> {
    const res = await this.request(method, path, body, versioned);
    if (!ok.includes(res.status)) {
      throw new EngineApiError(method, versioned ? this.prefix + path : path, res.status, res.text);
    }
    return res.json;
  }

  /** True when `GET /_ping` answers 200 within `timeoutMs`. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    const probe = new EngineClient(this.socketPath, { maxSockets: 1, timeoutMs });
    try {
      return (await probe.request('GET', '/_ping', undefined, false)).status === 200;
    } catch {
      return false;
    } finally {
      probe.close();
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
