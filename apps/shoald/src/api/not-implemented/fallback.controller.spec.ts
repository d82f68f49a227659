import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpecRoute } from './spec-route.model';
import { SPEC_ROUTES } from './spec-routes.generated';
import { PAGE_NOT_FOUND } from './fallback.controller';
import { type ApiHarness, INIT_BODY, startApiHarness } from '../testing/api-test.harness';
import { request } from '../testing/http.client';

/** A concrete path for a template: every parameter becomes `x`. */
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, 'x');

const BODIES: Record<SpecRoute['body'], string | undefined> = {
  none: undefined,
  object: '{}',
  array: '[]',
  raw: 'raw bytes',
};

/** Streaming endpoints that would hold the connection open: bounded with `until`. */
const QUERY: Record<string, string> = { '/events': '?until=1' };

async function call(h: ApiHarness, route: SpecRoute, prefix = '') {
  const body = BODIES[route.body];
  return request(
    h.target,
    route.method,
    `${prefix}${concrete(route.path)}${QUERY[route.path] ?? ''}`,
    {
      ...(body !== undefined ? { body, headers: { 'Content-Type': 'application/json' } } : {}),
    },
  );
}

describe('every spec route is served or answers 501, never a silent 404', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(() => h.close());

  const check = async (route: SpecRoute, prefix: string) => {
    const res = await call(h, route, prefix);
    const label = `${route.method} ${route.path} → ${res.status} ${res.body}`;
    // Served (2xx/4xx, 503 when the node is not a manager) or explicitly not implemented.
    expect(res.status < 500 || res.status === 501 || res.status === 503, label).toBe(true);
    if (route.method === 'HEAD') return res.status; // no body to read
    if (res.status === 404) expect(JSON.parse(res.body).message, label).not.toBe(PAGE_NOT_FOUND);
    if (res.status === 501) {
      expect(JSON.parse(res.body).message, label).toMatch(
        new RegExp(`^${route.method} /\\S+ is not implemented by Shoal yet: .+`),
      );
    }
    return res.status;
  };

  it('on a node outside any swarm', async () => {
    for (const route of SPEC_ROUTES) {
      if (route.path === '/swarm/init') continue; // would make it a manager half way through
      await check(route, '');
    }
  });

  it('on a manager, with a version prefix', async () => {
    // The first walk's POST /swarm/init may already have made it one.
    if (h.runtime.localState() !== 'active') {
      const init = await request(h.target, 'POST', '/swarm/init', {
        body: JSON.stringify(INIT_BODY),
      });
      expect(init.status).toBe(200);
    }
    const statuses = new Map<number, number>();
    for (const route of SPEC_ROUTES) {
      // Leaving would end the swarm half way through the walk.
      if (route.path === '/swarm/leave') continue;
      const status = await check(route, '/v1.44');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(statuses.get(501)).toBeGreaterThan(50);
    expect(statuses.get(200)).toBeGreaterThan(5);
  });

  it('logged no internal errors', () => {
    expect(h.errors).toEqual([]);
  });
});

describe('fallback', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(() => h.close());

  it.each([
    ['GET', '/secrets', 'secrets — coming in a later issue'],
    ['POST', '/networks/create', 'networks — coming in a later issue'],
    ['GET', '/images/library/alpine/json', 'images'],
    ['DELETE', '/volumes/data', 'volumes'],
  ])('answers %s %s with 501 naming the feature', async (method, p, feature) => {
    const res = await request(
      h.target,
      method,
      `/v1.43${p}`,
      method === 'POST' ? { body: '{}' } : {},
    );
    expect(res.status).toBe(501);
    expect(JSON.parse(res.body)).toEqual({
      message: `${method} ${p} is not implemented by Shoal yet: ${feature}`,
    });
  });

  it.each([['/services/web/logs'], ['/tasks/t1/logs']])(
    'no longer answers GET %s with 501: the logs endpoints are served',
    async (p) => {
      // Not a manager here, so the logs controller answers Docker's 503, not the fallback.
      const res = await request(h.target, 'GET', `/v1.43${p}?stdout=1`);
      expect(res.status).toBe(503);
      expect((JSON.parse(res.body) as { message: string }).message).toMatch(/not a swarm manager/);
    },
  );

  it.each([
    ['GET', '/'],
    ['GET', '/nothing/here'],
    ['PATCH', '/services/x'],
    ['DELETE', '/info'],
    ['GET', '/services/x/y/z'],
  ])("answers %s %s with Docker's 404", async (method, p) => {
    const res = await request(h.target, method, p);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ message: 'page not found' });
  });
});
