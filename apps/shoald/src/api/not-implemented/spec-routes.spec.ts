import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecRouteMatcher, featureOf, notImplementedMessage } from './spec-route.matcher';
import { parseSpecRoutes } from './spec-routes.parser';
import { renderSpecRoutesModule } from './spec-routes.render';
import { SPEC_ROUTES } from './spec-routes.generated';

const SPEC = path.resolve(
  __dirname,
  '../../../../../../shared/reference/docker-engine-api-v1.44.yaml',
);

describe('spec routes table', () => {
  it.skipIf(!existsSync(SPEC))('is up to date with the spec (run scripts/spec-routes.ts)', () => {
    const routes = parseSpecRoutes(readFileSync(SPEC, 'utf8'));
    const generated = readFileSync(path.join(__dirname, 'spec-routes.generated.ts'), 'utf8');
    expect(renderSpecRoutesModule(routes, path.basename(SPEC))).toBe(generated);
  });

  it('holds every endpoint of the swarm surface with its body shape', () => {
    const find = (m: string, p: string) => SPEC_ROUTES.find((r) => r.method === m && r.path === p);
    expect(SPEC_ROUTES.length).toBe(107);
    expect(find('HEAD', '/_ping')).toBeDefined();
    expect(find('POST', '/services/create')).toMatchObject({ body: 'object', bodyRequired: true });
    expect(find('POST', '/swarm/leave')).toMatchObject({ body: 'none' });
    expect(find('POST', '/plugins/pull')).toMatchObject({ body: 'array' });
    expect(find('POST', '/build')).toMatchObject({ body: 'raw' });
    expect(find('POST', '/images/create')).toMatchObject({ body: 'raw', bodyRequired: false });
    expect(find('GET', '/events')).toMatchObject({ body: 'none' });
  });
});

describe('parseSpecRoutes', () => {
  it('reads methods, consumes and body parameters', () => {
    const yaml = [
      'consumes:',
      '  - "application/json"',
      'paths:',
      '  /a/{id}:',
      '    get:',
      '      summary: "x"',
      '    post:',
      '      consumes: ["application/x-tar"]',
      '      parameters:',
      '        - name: "body"',
      '          in: "body"',
      '          schema:',
      '            type: "string"',
      '  /b:',
      '    put:',
      '      description: |',
      '        - not a parameter',
      '      parameters:',
      '        - name: "id"',
      '          in: "path"',
      '          required: true',
      '        - name: "spec"',
      '          in: "body"',
      '          required: false',
      '          schema:',
      '            $ref: "#/definitions/X"',
      'definitions:',
      '  X:',
      '    type: object',
    ].join('\n');
    expect(parseSpecRoutes(yaml)).toEqual([
      { method: 'GET', path: '/a/{id}', body: 'none', bodyRequired: false },
      { method: 'POST', path: '/a/{id}', body: 'raw', bodyRequired: true },
      { method: 'PUT', path: '/b', body: 'object', bodyRequired: false },
    ]);
  });

  it('fails loudly without a paths section', () => {
    expect(() => parseSpecRoutes('swagger: "2.0"\n')).toThrow(/paths/);
  });
});

describe('SpecRouteMatcher', () => {
  const matcher = new SpecRouteMatcher();

  it('matches templates, preferring literal segments', () => {
    expect(matcher.match('GET', '/images/json')?.path).toBe('/images/json');
    expect(matcher.match('GET', '/images/library/alpine/json')?.path).toBe('/images/{name}/json');
    expect(matcher.match('POST', '/services/abc/update')?.path).toBe('/services/{id}/update');
    expect(matcher.match('GET', '/services/abc/update')).toBeUndefined();
    expect(matcher.match('GET', '/services/a/b')).toBeUndefined();
    expect(matcher.match('GET', '/nope')).toBeUndefined();
  });

  it('lets HEAD use a GET route', () => {
    expect(matcher.match('HEAD', '/info')?.path).toBe('/info');
    expect(matcher.match('HEAD', '/_ping')?.method).toBe('HEAD');
  });

  it('names the missing feature', () => {
    const at = (m: string, p: string) => featureOf(matcher.match(m, p)!);
    expect(at('GET', '/containers/json')).toBe('containers (Shoal runs tasks through services)');
    expect(at('POST', '/exec/x/start')).toBe('containers (Shoal runs tasks through services)');
    expect(at('GET', '/images/json')).toBe('images');
    expect(at('POST', '/secrets/create')).toBe('secrets — coming in a later issue');
    expect(at('POST', '/networks/create')).toBe('networks — coming in a later issue');
    expect(notImplementedMessage('get', '/volumes', matcher.match('GET', '/volumes')!)).toBe(
      'GET /volumes is not implemented by Shoal yet: volumes',
    );
  });
});
