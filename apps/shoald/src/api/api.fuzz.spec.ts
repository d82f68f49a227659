import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_ROUTES } from './not-implemented/spec-routes.generated';
import { type ApiHarness, INIT_BODY, startApiHarness } from './testing/api-test.harness';
import { request } from './testing/http.client';

/**
 * Random requests against the real app: spec paths with random parameters and version
 * prefixes, random paths, random bodies (bytes, JSON, nothing) and content types. Whatever
 * comes in, the server answers with a status below 500 (or 501 not implemented, or 503 not a
 * manager), an error body of Docker's shape, logs no internal error, and keeps serving.
 */
const segment = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom(
    'x',
    '..',
    '.',
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    'v1.44',
    '_ping',
    'json',
    'update',
  ),
);

const specPath = fc
  .tuple(fc.constantFrom(...SPEC_ROUTES), fc.array(segment, { minLength: 3, maxLength: 3 }))
  .map(([route, params]) => {
    let i = 0;
    return {
      method: route.method as string,
      path: route.path.replace(/\{[^}]+\}/g, () => params[i++ % 3] || 'x'),
    };
  });

const randomPath = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'),
    fc.array(segment, { maxLength: 5 }),
  )
  .map(([method, segs]) => ({ method, path: `/${segs.join('/')}` }));

const prefix = fc.constantFrom('', '', '/v1.24', '/v1.44', '/v1.12', '/v1.45', '/v9', '/v1.', '/v');

const query = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('since', 'until', 'filters', 'force', 'version', 'insertDefaults'),
      fc.string({ maxLength: 20 }),
      {
        maxKeys: 3,
      },
    )
    .map((q) => `?${new URLSearchParams(q).toString()}`),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 64 }),
);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'text/plain',
  'application/x-tar',
  'application/json; charset=utf-8',
);

describe('the API under random requests', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ bodyLimitBytes: 4096 });
    await request(h.target, 'POST', '/swarm/init', { body: JSON.stringify(INIT_BODY) });
  });
  afterAll(() => h.close());

  it('never fails with a 5xx other than 501/503, never crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(specPath, randomPath),
        prefix,
        query,
        body,
        contentType,
        async (target, pre, q, b, ct) => {
          // The stream would stay open: bound it.
          const bounded =
            target.path === '/events' && !q.includes('until') ? `${q ? `${q}&` : '?'}until=1` : q;
          const res = await request(h.target, target.method, `${pre}${target.path}${bounded}`, {
            ...(b !== undefined ? { body: b } : {}),
            ...(ct ? { headers: { 'Content-Type': ct } } : {}),
          });
          const ok = res.status < 500 || res.status === 501 || res.status === 503;
          expect(
            ok,
            `${target.method} ${pre}${target.path}${bounded} → ${res.status} ${res.body}`,
          ).toBe(true);
          if (res.status >= 400 && target.method !== 'HEAD') {
            const parsed = JSON.parse(res.body) as { message?: unknown };
            expect(typeof parsed.message).toBe('string');
          }
        },
      ),
      { numRuns: 300 },
    );
    expect((await request(h.target, 'GET', '/_ping')).body).toBe('OK');
    expect(h.errors).toEqual([]);
  });
});
