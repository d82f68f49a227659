import http from 'node:http';
import https from 'node:https';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { nullLogger } from '@shoal/common';
import { createDaemonRegistry, type Registry } from '@shoal/metrics';
import { parseExposition, valueOf } from '@shoal/metrics/registry.testing';
import { Gauge } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config.loader';
import { MetricsServer, type MetricsTls } from './metrics.server';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, opts: https.RequestOptions = {}, method = 'GET'): Promise<Reply> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...opts, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('MetricsServer on loopback (plain HTTP)', () => {
  let registry: Registry;
  beforeAll(() => {
    registry = createDaemonRegistry({ version: '9.9.9' });
  });

  it('serves GET /metrics in the registry format, with the port it bound', async () => {
    server = await MetricsServer.start({
      listen: { host: '127.0.0.1', port: 0 },
      registry,
      logger: nullLogger,
    });
    expect(server.tls).toBe(false);
    expect(server.address.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/metrics`);
    const r = await request(server.url);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(registry.contentType);
    const samples = parseExposition(r.body);
    expect(valueOf(samples, 'shoal_build_info', { version: '9.9.9' })).toBe(1);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // A query string is still the metrics path.
    expect((await request(`${server.url}?debug=1`)).status).toBe(200);
  });

  it('answers HEAD without a body, 404 elsewhere and 405 for other methods', async () => {
    server = await MetricsServer.start({
      listen: { host: '127.0.0.1', port: 0 },
      registry,
      logger: nullLogger,
    });
    const base = `http://127.0.0.1:${server.address.port}`;
    const head = await request(`${base}/metrics`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const missing = await request(`${base}/`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/metrics');
    expect((await request(`${base}/metricsx`)).status).toBe(404);
    const post = await request(`${base}/metrics`, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('a collector that fails costs that scrape a 500, and the server goes on', async () => {
    const own = createDaemonRegistry({ version: 'v' });
    let broken = true;
    new Gauge({
      name: 'shoal_test_raw',
      help: 'a collect outside any MetricGroup guard',
      registers: [own],
      collect() {
        if (broken) throw new Error('collector exploded');
        this.set(1);
      },
    });
    server = await MetricsServer.start({
      listen: { host: '127.0.0.1', port: 0 },
      registry: own,
      logger: nullLogger,
    });
    const failed = await request(server.url);
    expect(failed.status).toBe(500);
    expect(failed.body).toContain('collector exploded');
    broken = false;
    const ok = await request(server.url);
    expect(ok.status).toBe(200);
    expect(valueOf(parseExposition(ok.body), 'shoal_test_raw')).toBe(1);
  });

  it('close() does not wait for an idle keep-alive connection', async () => {
    server = await MetricsServer.start({
      listen: { host: '127.0.0.1', port: 0 },
      registry,
      logger: nullLogger,
    });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(server!.url, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    const started = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });
});

describe('MetricsServer elsewhere (HTTPS with client certificates)', () => {
  let tls: MetricsTls;
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  beforeAll(async () => {
    const ca = await createRootCa({ commonName: 'metrics-test-ca' });
    const other = await createRootCa({ commonName: 'some-other-ca' });
    const serverCert = await issueNodeCertificate(ca, { nodeId: 'srv', role: 'metrics' });
    const c = await issueNodeCertificate(ca, { nodeId: 'prometheus', role: 'scraper' });
    const s = await issueNodeCertificate(other, { nodeId: 'prometheus', role: 'scraper' });
    tls = { ca: ca.certPem, cert: serverCert.certPem, key: serverCert.keyPem };
    client = { cert: c.certPem, key: c.keyPem };
    stranger = { cert: s.certPem, key: s.keyPem };
  });

  /** Bound on every interface (not loopback, so TLS), reached through 127.0.0.1. */
  async function startTls(): Promise<string> {
    server = await MetricsServer.start({
      listen: { host: '0.0.0.0', port: 0 },
      registry: createDaemonRegistry({ version: 'tls' }),
      tls,
      logger: nullLogger,
    });
    expect(server.tls).toBe(true);
    return `https://127.0.0.1:${server.address.port}/metrics`;
  }

  it('serves a client with a certificate signed by the CA', async () => {
    const url = await startTls();
    const r = await request(url, { ca: tls.ca, ...client });
    expect(r.status).toBe(200);
    expect(valueOf(parseExposition(r.body), 'shoal_build_info', { version: 'tls' })).toBe(1);
  });

  it('refuses a client without a certificate, or with one from another CA', async () => {
    const url = await startTls();
    await expect(request(url, { ca: tls.ca })).rejects.toThrow();
    await expect(request(url, { ca: tls.ca, ...stranger })).rejects.toThrow();
    // Plain HTTP gets no metrics either.
    await expect(request(url.replace('https:', 'http:'))).rejects.toThrow();
  });

  it('will not serve a non-loopback address without TLS', async () => {
    await expect(
      MetricsServer.start({
        listen: { host: '0.0.0.0', port: 0 },
        registry: createDaemonRegistry({ version: 'v' }),
        logger: nullLogger,
      }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('a key that does not match the certificate is a configuration error', async () => {
    await expect(
      MetricsServer.start({
        listen: { host: '0.0.0.0', port: 0 },
        registry: createDaemonRegistry({ version: 'v' }),
        tls: { ...tls, key: client.key },
        logger: nullLogger,
      }),
    ).rejects.toThrow(ConfigError);
  });
});
