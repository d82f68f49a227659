import { describe, expect, it } from 'vitest';
import { describeHost, metricsEngineLabels } from './node-description';

describe('metricsEngineLabels', () => {
  it('is empty when metrics are off', () => {
    expect(metricsEngineLabels(undefined, undefined, '10.0.0.5')).toEqual({});
  });

  it('reports the configured host and port', () => {
    expect(metricsEngineLabels('10.0.0.7:9323', undefined, '10.0.0.5')).toEqual({
      'shoal.metrics-addr': '10.0.0.7:9323',
    });
  });

  it('publishes a loopback address only when the node advertises a loopback address too', () => {
    // Single-host swarm: every node and the scraper share this loopback.
    expect(metricsEngineLabels('127.0.0.3:9323', undefined, '127.0.0.1')).toEqual({
      'shoal.metrics-addr': '127.0.0.3:9323',
    });
    expect(metricsEngineLabels('[::1]:9323', undefined, '::1')).toEqual({
      'shoal.metrics-addr': '[::1]:9323',
    });
    // Other hosts would scrape themselves under this node's name.
    expect(metricsEngineLabels('127.0.0.1:9323', undefined, '10.0.0.5')).toEqual({});
    expect(metricsEngineLabels('localhost:9323', undefined, 'fd00::5')).toEqual({});
    expect(metricsEngineLabels('127.0.0.1:9323', undefined, undefined)).toEqual({});
  });

  it('replaces a wildcard host by the advertise host, IPv6 in brackets', () => {
    expect(metricsEngineLabels('0.0.0.0:9323', undefined, '10.0.0.5')).toEqual({
      'shoal.metrics-addr': '10.0.0.5:9323',
    });
    expect(metricsEngineLabels('[::]:9323', undefined, 'fd00::5')).toEqual({
      'shoal.metrics-addr': '[fd00::5]:9323',
    });
    // Not in a swarm yet: no address other nodes could use.
    expect(metricsEngineLabels('0.0.0.0:9323', undefined, undefined)).toEqual({});
  });

  it('uses the bound port for port 0, and omits the label until it is bound', () => {
    expect(metricsEngineLabels('127.0.0.1:0', undefined, '10.0.0.5')).toEqual({});
    expect(
      metricsEngineLabels('127.0.0.1:0', { host: '127.0.0.1', port: 40123 }, '127.0.0.1'),
    ).toEqual({
      'shoal.metrics-addr': '127.0.0.1:40123',
    });
  });
});

describe('describeHost', () => {
  it('carries extra engine labels next to the executor', () => {
    const d = describeHost('1.2.3', 'process', { 'shoal.metrics-addr': '127.0.0.1:9323' }) as {
      Engine: { Labels: Record<string, string> };
    };
    expect(d.Engine.Labels).toEqual({
      'shoal.metrics-addr': '127.0.0.1:9323',
      'shoal.executor': 'process',
    });
  });
});
