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

  it('takes the TCP API settings and the TLS files', () => {
    const c = resolveDaemonConfig({
      flags: { apiAddr: '0.0.0.0:2376', apiReadonlyAddr: '127.0.0.2:2375' },
      env: { SHOAL_TLS_CA: '/tls/ca.pem', SHOAL_TLS_CERT: '/tls/cert.pem' },
      file: { path: '/c.json', text: JSON.stringify({ 'tls-key': '/tls/key.pem' }) },
    });
    expect(c).toMatchObject({
      apiAddr: '0.0.0.0:2376',
      apiReadonlyAddr: '127.0.0.2:2375',
      tlsCa: '/tls/ca.pem',
      tlsCert: '/tls/cert.pem',
      tlsKey: '/tls/key.pem',
    });
    expect(resolveDaemonConfig(none)).toMatchObject({
      apiAddr: undefined,
      apiReadonlyAddr: undefined,
      tlsCa: undefined,
    });
  });

  it('refuses --api-addr without the TLS files, and TLS files given in part', () => {
    expect(() => resolveDaemonConfig({ ...none, flags: { apiAddr: '0.0.0.0:2376' } })).toThrow(
      /--api-addr: the TCP API needs --tls-ca, --tls-cert and --tls-key.*--api-readonly-addr/,
    );
    expect(() =>
      resolveDaemonConfig({ ...none, flags: { tlsCa: '/ca.pem', tlsKey: '/key.pem' } }),
    ).toThrow(/--tls-ca, --tls-cert and --tls-key go together/);
    expect(() =>
      resolveDaemonConfig({
        ...none,
        flags: { tlsCa: 'ca.pem', tlsCert: '/c.pem', tlsKey: '/k.pem' },
      }),
    ).toThrow(/--tls-ca: "ca.pem" must be an absolute path/);
    expect(() => resolveDaemonConfig({ ...none, flags: { apiAddr: 'host' } })).toThrow(
      /--api-addr: "host" has no port/,
    );
  });

  it('keeps the read-only API on loopback', () => {
    for (const ok of ['127.0.0.1:2375', '127.9.8.7:0', '[::1]:2375', 'localhost:2375']) {
      expect(resolveDaemonConfig({ ...none, flags: { apiReadonlyAddr: ok } }).apiReadonlyAddr).toBe(
        ok,
      );
    }
    for (const bad of ['0.0.0.0:2375', '10.1.2.3:2375', '[::]:2375', 'node1.example:2375']) {
      expect(() => resolveDaemonConfig({ ...none, flags: { apiReadonlyAddr: bad } })).toThrow(
        /--api-readonly-addr: .* is not a loopback address; .*use --api-addr with TLS/,
      );
    }
    // TLS files do not make a non-loopback read-only listener acceptable.
    expect(() =>
      resolveDaemonConfig({
        ...none,
        flags: {
          apiReadonlyAddr: '0.0.0.0:2375',
          tlsCa: '/ca.pem',
          tlsCert: '/c.pem',
          tlsKey: '/k.pem',
        },
      }),
    ).toThrow(/not a loopback address/);
  });

  it('serves metrics in plain HTTP on loopback only; elsewhere it needs the TLS files', () => {
    expect(
      resolveDaemonConfig({ ...none, flags: { metricsAddr: '127.0.0.1:9323' } }).metricsAddr,
    ).toBe('127.0.0.1:9323');
    expect(() => resolveDaemonConfig({ ...none, flags: { metricsAddr: '0.0.0.0:9323' } })).toThrow(
      /--metrics-addr: "0.0.0.0:9323" is not a loopback address, so it needs --tls-ca/,
    );
    const tls = { tlsCa: '/ca.pem', tlsCert: '/c.pem', tlsKey: '/k.pem' };
    expect(
      resolveDaemonConfig({ ...none, flags: { metricsAddr: '0.0.0.0:9323', ...tls } }).metricsAddr,
    ).toBe('0.0.0.0:9323');
  });

  it('never fails with anything but a ConfigError, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.record({
          listenAddr: fc.option(fc.string(), { nil: undefined }),
          advertiseAddr: fc.option(fc.string(), { nil: undefined }),
          metricsAddr: fc.option(fc.string(), { nil: undefined }),
          apiAddr: fc.option(fc.string(), { nil: undefined }),
          apiReadonlyAddr: fc.option(fc.string(), { nil: undefined }),
          tlsCa: fc.option(fc.string(), { nil: undefined }),
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
