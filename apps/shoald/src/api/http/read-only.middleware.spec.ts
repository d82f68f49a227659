import { describe, expect, it } from 'vitest';
import { READ_ONLY_MESSAGE, readOnlyRefusal } from './read-only.middleware';

const get = (url: string, headers: Record<string, string> = { host: '127.0.0.1:2375' }) =>
  readOnlyRefusal({ method: 'GET', url, headers });

describe('readOnlyRefusal', () => {
  it('lets through GET and HEAD of the listed endpoints, prefixed or not', () => {
    for (const url of [
      '/_ping',
      '/v1.44/_ping',
      '/version',
      '/info',
      '/nodes',
      '/nodes/',
      '/nodes/abc',
      '/services?filters=%7B%7D',
      '/services/web',
      '/tasks',
      '/tasks/t1',
      '/networks',
      '/networks/n1',
      '/events?since=0',
      '/events/ws',
      '/v1.24/events/ws',
      '/metrics/targets',
    ]) {
      expect(get(url), url).toBeUndefined();
    }
    expect(readOnlyRefusal({ method: 'HEAD', url: '/_ping', headers: {} })).toBeUndefined();
  });

  it('refuses everything else, including reads with secrets and logs', () => {
    for (const url of [
      '/',
      '/v1.44',
      '/swarm',
      '/swarm/',
      '/swarm/unlockkey',
      '/v1.44/swarm/unlockkey',
      '/services/web/logs',
      '/services/web/logs/',
      '/tasks/t1/logs',
      '/secrets',
      '/configs/c1',
      '/nodes/a/b',
      '//swarm',
      '/SWARM',
      '/info/../swarm',
    ]) {
      expect(get(url), url).toBe(READ_ONLY_MESSAGE);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      expect(readOnlyRefusal({ method, url: '/nodes', headers: {} }), method).toBe(
        READ_ONLY_MESSAGE,
      );
    }
    expect(READ_ONLY_MESSAGE).toMatch(/read-only.*unix socket.*--api-addr/);
  });

  it('refuses targets with a backslash, a fragment or control characters', () => {
    // Express may route these elsewhere than the allow-list reads them (url.parse maps '\\'
    // to '/' once a '#' is present): `/tasks/x\\logs#` reached the logs handler.
    for (const url of [
      '/services/x\\logs?stdout=1#',
      '/tasks/x\\logs?stdout=1#',
      '/tasks/x\\logs',
      '/nodes#/../swarm',
      '/nodes/a\tb',
      '/nodes/a\u007fb',
    ]) {
      expect(get(url), JSON.stringify(url)).toBe(READ_ONLY_MESSAGE);
    }
  });

  it('accepts only loopback Host headers, with or without a port', () => {
    for (const host of [
      'localhost',
      'LocalHost:80',
      '127.0.0.1',
      '127.1.2.3:9',
      '[::1]',
      '[::1]:1',
    ]) {
      expect(get('/info', { host }), host).toBeUndefined();
    }
    for (const host of [
      'evil.example',
      'evil.example:80',
      '10.1.1.1',
      '[fd00::1]:80',
      '127.0.0.1.evil',
      '::1',
      '',
    ]) {
      expect(get('/info', { host }), host).toMatch(/^Host ".*" refused/);
    }
  });

  it('refuses an Origin that is not a loopback http(s) one', () => {
    for (const origin of ['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:8080']) {
      expect(get('/events/ws', { origin }), origin).toBeUndefined();
    }
    for (const origin of ['http://evil.example', 'null', 'file://', 'http://127.0.0.1.evil']) {
      expect(get('/events/ws', { origin }), origin).toMatch(/^Origin ".*" refused/);
    }
  });
});
