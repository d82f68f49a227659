import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiApp,
  engineIdFor,
  listenOnSocket,
  listenOnTcp,
  resolveApiContext,
} from './api.app';
import { type ApiHarness, INIT_BODY, startApiHarness } from './testing/api-test.harness';
import { request } from './testing/http.client';
import { MemorySwarmRuntime } from './testing/memory-runtime';

const DOCKER_HEADERS = ['Api-Version', 'Docker-Experimental', 'Ostype', 'Server'];
const SERVICE = {
  Name: 'web',
  TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } },
  Mode: { Replicated: { Replicas: 1 } },
};

describe('control API over TCP', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ bodyLimitBytes: 64 * 1024, version: '9.8.7' });
  });
  afterAll(() => h.close());

  describe('version prefix', () => {
    it.each(['/v1.24', '/v1.30', '/v1.44', ''])(
      'serves %s/_ping and /info alike',
      async (prefix) => {
        expect((await request(h.target, 'GET', `${prefix}/_ping`)).body).toBe('OK');
        const info = await request(h.target, 'GET', `${prefix}/info?x=1`);
        expect(info.status).toBe(200);
        expect(JSON.parse(info.body)).toHaveProperty('OSType', 'linux');
      },
    );

    it("refuses versions below 1.24 with Docker's text", async () => {
      const res = await request(h.target, 'GET', '/v1.12/info');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({
        message:
          'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
      });
    });

    it("refuses versions above 1.44 with Docker's text", async () => {
      for (const v of ['1.45', '2.0']) {
        const res = await request(h.target, 'POST', `/v${v}/services/create`, { body: '{}' });
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toEqual({
          message: `client version ${v} is too new. Maximum supported API version is 1.44`,
        });
      }
    });

    it('does not take other /v paths for a version', async () => {
      const res = await request(h.target, 'GET', '/vfoo/info');
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ message: 'page not found' });
    });
  });

  describe('headers', () => {
    it.each([
      ['GET', '/_ping', 200],
      ['GET', '/nope', 404],
      ['GET', '/v1.1/info', 400],
      ['GET', '/containers/json', 501],
      ['GET', '/nodes', 503],
    ])("puts Docker's headers on %s %s (%i)", async (method, p, status) => {
      const res = await request(h.target, method, p);
      expect(res.status).toBe(status);
      for (const name of DOCKER_HEADERS) expect(res.rawHeaderNames).toContain(name);
      expect(res.headers['api-version']).toBe('1.44');
      expect(res.headers['docker-experimental']).toBe('false');
      expect(res.headers['ostype']).toBe('linux');
      expect(res.headers['server']).toBe('Shoal/9.8.7 (linux)');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['etag']).toBeUndefined();
    });

    it('answers errors as JSON {"message"} without stack traces', async () => {
      const res = await request(h.target, 'GET', '/nodes/%E0%A4%A');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(JSON.parse(res.body))).toEqual(['message']);
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    });
  });

  describe('JSON bodies', () => {
    const post = (
      body: string | Buffer | undefined,
      headers: Record<string, string> = {},
      chunked = false,
    ) =>
      request(h.target, 'POST', '/services/create', {
        body,
        headers: { 'Content-Type': 'application/json', ...headers },
        chunked,
      });

    it('refuses malformed JSON with 400 and the reason', async () => {
      const res = await post('{"Name": "web",');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).message).toMatch(/^invalid JSON body: /);
    });

    it('refuses an empty body where a JSON object is required', async () => {
      for (const body of [undefined, '', '   \n']) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).message).toBe(
          'request body must be a JSON object, got an empty body',
        );
      }
    });

    it('refuses JSON that is not an object', async () => {
      for (const body of ['[]', '"web"', 'null', '42']) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).message).toBe('request body must be a JSON object');
      }
    });

    it("refuses a non-JSON Content-Type with Docker's text", async () => {
      const res = await post('{}', { 'Content-Type': 'text/plain' });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).message).toBe(
        "unsupported Content-Type header (text/plain): must be 'application/json'",
      );
    });

    it('takes application/json with parameters, and a body without Content-Type', async () => {
      const runtime = h.runtime;
      if (runtime.localState() === 'inactive')
        await request(h.target, 'POST', '/swarm/init', { body: JSON.stringify(INIT_BODY) });
      const a = await post(JSON.stringify(SERVICE), {
        'Content-Type': 'application/json; charset=utf-8',
      });
      expect(a.status).toBe(201);
      const b = await request(h.target, 'POST', '/services/create', {
        body: JSON.stringify({ ...SERVICE, Name: 'web2' }),
      });
      expect(b.status).toBe(201);
    });

    it('answers 413 over the limit, by Content-Length or while reading', async () => {
      const big = JSON.stringify({ Name: 'x'.repeat(70 * 1024) });
      const declared = await post(big);
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body)).toEqual({
        message: `request body is larger than the limit of ${64 * 1024} bytes`,
      });
      const chunked = await post(big, {}, true);
      expect(chunked.status).toBe(413);
      // The connection was closed, not poisoned: the next request works.
      expect((await request(h.target, 'GET', '/_ping')).status).toBe(200);
    });

    it('accepts a body just under the limit', async () => {
      const body = JSON.stringify({ Name: 'x'.repeat(60 * 1024) });
      const res = await post(body);
      expect(res.status).not.toBe(413);
      expect(res.status).toBeLessThan(500);
    });

    it('ignores a body on endpoints that take none, as Docker', async () => {
      const res = await request(h.target, 'GET', '/_ping', { body: 'not json at all' });
      expect(res.status).toBe(200);
    });

    it('lets the 501 win over a bad body on endpoints Shoal does not serve', async () => {
      const res = await request(h.target, 'POST', '/containers/create', { body: '{nope' });
      expect(res.status).toBe(501);
    });
  });

  it('logged no internal errors', () => {
    expect(h.errors).toEqual([]);
  });
});

describe('control API on a unix socket', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shoal-api-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const apps: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  async function newApp() {
    const app = await createApiApp(new MemorySwarmRuntime());
    apps.push(app);
    return app;
  }

  it('creates the directories, listens with mode 0660 and serves', async () => {
    const socketPath = path.join(dir, 'run', 'shoal', 'shoal.sock');
    const app = await newApp();
    expect(await listenOnSocket(app, socketPath)).toBe(socketPath);
    const st = await stat(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    const res = await request({ socketPath }, 'GET', '/v1.44/_ping');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers['swarm']).toBe('inactive');
  });

  it('honours another mode', async () => {
    const socketPath = path.join(dir, 'mode.sock');
    await listenOnSocket(await newApp(), socketPath, 0o600);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
  });

  it('replaces a stale socket left by a killed daemon', async () => {
    const socketPath = path.join(dir, 'stale.sock');
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(socketPath)).toBe(true);
    await listenOnSocket(await newApp(), socketPath);
    expect((await request({ socketPath }, 'GET', '/_ping')).status).toBe(200);
  });

  it('refuses a socket another live process serves', async () => {
    const socketPath = path.join(dir, 'live.sock');
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(socketPath, r));
    try {
      await expect(listenOnSocket(await newApp(), socketPath)).rejects.toThrow(
        /another process is serving/,
      );
      expect(existsSync(socketPath)).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it('never removes a path that is not a socket', async () => {
    const file = path.join(dir, 'not-a-socket');
    await writeFile(file, 'data');
    await expect(listenOnSocket(await newApp(), file)).rejects.toThrow(/not a socket/);
    expect(existsSync(file)).toBe(true);
  });
});

describe('listenOnTcp', () => {
  it('refuses plain HTTP beyond loopback (Decision 8)', async () => {
    const app = await createApiApp(new MemorySwarmRuntime());
    try {
      await expect(listenOnTcp(app, 0, '0.0.0.0')).rejects.toThrow(/TLS client certificates/);
    } finally {
      await app.close();
    }
  });
});

describe('options', () => {
  it('applies defaults and refuses a bad body limit', () => {
    const ctx = resolveApiContext({});
    expect(ctx.bodyLimitBytes).toBe(4 * 1024 * 1024);
    expect(ctx.engineId).toBe(engineIdFor(os.hostname()));
    expect(engineIdFor('a')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(engineIdFor('a')).not.toBe(engineIdFor('b'));
    expect(() => resolveApiContext({ bodyLimitBytes: 0 })).toThrow(RangeError);
  });
});
