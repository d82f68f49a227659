import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { DEFAULT_HOST, parseDaemonHost, resolveDaemonHost } from './daemon-host.parser';

describe('parseDaemonHost', () => {
  it('reads the three forms', () => {
    expect(parseDaemonHost('unix:///run/shoal/shoal.sock')).toEqual({
      kind: 'unix',
      socketPath: '/run/shoal/shoal.sock',
      display: 'unix:///run/shoal/shoal.sock',
    });
    expect(parseDaemonHost('/tmp/s.sock')).toEqual({
      kind: 'unix',
      socketPath: '/tmp/s.sock',
      display: 'unix:///tmp/s.sock',
    });
    expect(parseDaemonHost('tcp://10.0.0.1:2375')).toEqual({
      kind: 'tcp',
      hostname: '10.0.0.1',
      port: 2375,
      display: 'tcp://10.0.0.1:2375',
    });
    expect(parseDaemonHost('tcp://[::1]:2375')).toMatchObject({ hostname: '::1', port: 2375 });
  });

  it.each([
    ['', /empty value/],
    ['unix://relative.sock', /must be absolute/],
    ['tcp://host', /needs a port/],
    ['tcp://host:2375/path', /takes no path/],
    ['http://host:2375', /unsupported scheme/],
    ['relative.sock', /unsupported scheme/],
  ])('refuses %j, naming the accepted forms', (input, why) => {
    expect(() => parseDaemonHost(input)).toThrow(UsageError);
    expect(() => parseDaemonHost(input)).toThrow(why);
    expect(() => parseDaemonHost(input)).toThrow(
      /unix:\/\/\/path\/to\.sock, \/path\/to\.sock or tcp:\/\/host:port/,
    );
  });

  it('-H beats SHOAL_HOST beats the default, and errors name the source', () => {
    expect(resolveDaemonHost(undefined, {}).display).toBe(DEFAULT_HOST);
    expect(resolveDaemonHost(undefined, { SHOAL_HOST: '' }).display).toBe(DEFAULT_HOST);
    expect(resolveDaemonHost(undefined, { SHOAL_HOST: '/a.sock' }).display).toBe('unix:///a.sock');
    expect(resolveDaemonHost('/b.sock', { SHOAL_HOST: '/a.sock' }).display).toBe('unix:///b.sock');
    expect(() => resolveDaemonHost(undefined, { SHOAL_HOST: 'bad' })).toThrow(
      /invalid SHOAL_HOST "bad"/,
    );
    expect(() => resolveDaemonHost('bad', {})).toThrow(/invalid --host "bad"/);
  });
});
