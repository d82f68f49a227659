/**
 * Test support: a fake shoald on a unix socket (node:http), answering canned Docker-shaped
 * responses and recording every request, plus a runner that drives the real CLI program
 * against it with captured output. Lives outside src so it never ships with the CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliContext, CliInput } from '../src/cli.context';
import { runCli } from '../src/cli.runner';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /v1.44/services/create. */
  path: string;
  query: Record<string, string>;
  /** Decoded JSON body, or undefined when there was none. */
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface CannedResponse {
  status?: number;
  /** Sent as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
  /** Sent as is (a binary log stream); wins over `text` and `body`. */
  raw?: Buffer;
  contentType?: string;
  /** Send the payload but leave the response open (a stream that has not ended). */
  keepOpen?: boolean;
}

type Responder = CannedResponse | ((req: RecordedRequest) => CannedResponse);

export class FakeDaemon {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: { method: string; path: string; respond: Responder }[] = [];
  private readonly open = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    private readonly dir: string,
    readonly socketPath: string,
  ) {}

  static async start(): Promise<FakeDaemon> {
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-cli-'));
    const socketPath = path.join(dir, 'shoal.sock');
    const server = http.createServer();
    const daemon = new FakeDaemon(server, dir, socketPath);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      daemon.handle(req, res),
    );
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return daemon;
  }

  /** Answers `method path` (path without /v1.44 and query) with `respond`; later calls win. */
  on(method: string, apiPath: string, respond: Responder): this {
    this.routes.unshift({ method, path: `/v1.44${apiPath}`, respond });
    return this;
  }

  /** The requests as "METHOD /path?query" lines, the easiest shape to assert on. */
  requestLines(): string[] {
    return this.requests.map((r) => {
      const query = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${query ? `?${query}` : ''}`;
    });
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        headers: req.headers,
      };
      this.requests.push(recorded);
      const route = this.routes.find(
        (r) => r.method === recorded.method && r.path === recorded.path,
      );
      const canned: CannedResponse = route
        ? typeof route.respond === 'function'
          ? route.respond(recorded)
          : route.respond
        : {
            status: 404,
            body: { message: `fake daemon: no route for ${recorded.method} ${recorded.path}` },
          };
      const payload =
        canned.raw ?? canned.text ?? (canned.body === undefined ? '' : JSON.stringify(canned.body));
      res.writeHead(canned.status ?? 200, {
        'Content-Type':
          canned.contentType ??
          (canned.raw !== undefined
            ? 'application/octet-stream'
            : canned.text !== undefined
              ? 'text/plain'
              : 'application/json'),
      });
      if (!canned.keepOpen) {
        res.end(payload);
        return;
      }
      res.flushHeaders();
      res.write(payload);
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
    });
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const FIXED_NOW = new Date('2024-05-01T12:00:00Z');

/** Piped standard input holding `text`, already at EOF (an empty pipe by default). */
export function pipedInput(text = ''): CliInput {
  const input = new PassThrough();
  input.end(text);
  return input;
}

/**
 * Runs the CLI with captured output; `host` (a socket path) is passed as -H unless null.
 * `stdin` is piped text, or a stream of the test's own (a fake terminal).
 */
export async function runShoal(
  args: readonly string[],
  options: {
    host?: string | null;
    env?: Record<string, string>;
    now?: Date;
    stdin?: string | CliInput;
    /** Extra context: a fake clock, sleep or interrupt hook, a terminal's isTTY/columns. */
    ctx?: Partial<Pick<CliContext, 'sleep' | 'clock' | 'onInterrupt'>> & {
      isTTY?: boolean;
      columns?: number;
    };
  } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    stdin: typeof options.stdin === 'object' ? options.stdin : pipedInput(options.stdin),
    stdout: {
      write: (t: string) => (stdout += t),
      isTTY: options.ctx?.isTTY,
      columns: options.ctx?.columns,
    },
    stderr: { write: (t: string) => (stderr += t) },
    env: options.env ?? {},
    now: () => options.now ?? FIXED_NOW,
    platform: 'linux/amd64',
    nodeVersion: 'v20.0.0',
    sleep: options.ctx?.sleep,
    clock: options.ctx?.clock,
    onInterrupt: options.ctx?.onInterrupt,
  };
  const hostArgs = options.host ? ['-H', `unix://${options.host}`] : [];
  const code = await runCli([...hostArgs, ...args], ctx);
  return { code, stdout, stderr };
}
