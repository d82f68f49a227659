import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveDaemonConfig } from './config.loader';
import { DAEMON_DEFAULTS, DEFAULT_CLUSTER_PORT } from './daemon.config';

const none = { flags: {}, env: {} };

describe('resolveDaemonConfig', () => {
  it('falls back to defaults that avoid Docker ports', () => {
    const c = resolveDaemonConfig(none);
    expect(c).toMatchObject(DAEMON_DEFAULTS);
    expect([2375, 2376, 2377, 7946, 4789]).not.toContain(DEFAULT_CLUSTER_PORT);
    expect(c.metricsAddr).toBeUndefined();
  });

  it('takes flags over the environment over the file', () => {
    const file = {
      path: '/etc/shoal/shoald.json',
      text: JSON.stringify({ 'state-dir': '/file', socket: '/file.sock', 'log-level': 'warn' }),
    };
    const c = resolveDaemonConfig({
      flags: { stateDir: '/flag' },
      env: { SHOAL_STATE_DIR: '/env', SHOAL_SOCKET: '/env.sock' },
      file,
    });
    expect(c.stateDir).toBe('/flag');
    expect(c.socket).toBe('/env.sock');
    expect(c.logLevel).toBe('warn');
    expect(c.configFile).toBe(file.path);
  });

  it('reports every problem at once, naming where each value came from', () => {
    let err: unknown;
    try {
      resolveDaemonConfig({
        flags: { listenAddr: 'nope:99999', executor: 'podman' },
        env: { SHOAL_LOG_LEVEL: 'loud', SHOAL_STATE_DIR: 'relative/dir' },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/--listen-addr: "nope:99999" has port 99999 out of range/);
    expect(problems).toMatch(
      /--executor: "podman" is not an executor; accepted: auto, docker, process/,
    );
    expect(problems).toMatch(/SHOAL_LOG_LEVEL: "loud" is not a log level/);
    expect(problems).toMatch(/SHOAL_STATE_DIR: "relative\/dir" must be an absolute path/);
  });

  it('rejects bad config files clearly', () => {
    const bad = (text: string) => () =>
      resolveDaemonConfig({ ...none, file: { path: '/c.json', text } });
    expect(bad('{')).toThrow(/\/c.json: not valid JSON/);
    expect(bad('[]')).toThrow(/expected a JSON object/);
    expect(bad('{"colour":"blue"}')).toThrow(/unknown setting "colour"; accepted: state-dir/);
    expect(bad('{"socket":3}')).toThrow(/"socket" must be a string/);
  });

  it('refuses an unspecified advertise address', () => {
    expect(() => resolveDaemonConfig({ ...none, flags: { advertiseAddr: '0.0.0.0' } })).toThrow(
      /advertise an address other nodes can reach/,
    );
  });

  it('never fails with anything but a ConfigError, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.record({
          listenAddr: fc.option(fc.string(), { nil: undefined }),
          advertiseAddr: fc.option(fc.string(), { nil: undefined }),
          metricsAddr: fc.option(fc.string(), { nil: undefined }),
          logLevel: fc.option(fc.string(), { nil: undefined }),
        }),
        fc.string(),
        (flags, text) => {
          try {
            resolveDaemonConfig({ flags, env: {}, file: { path: '/f', text } });
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
          }
        },
      ),
    );
  });
});
