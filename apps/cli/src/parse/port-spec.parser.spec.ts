import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { PORT_SYNTAX, formatPort, parsePortSpec } from './port-spec.parser';

describe('parsePortSpec, short syntax', () => {
  it('PUBLISHED:TARGET defaults to tcp and ingress', () => {
    expect(parsePortSpec('8080:80')).toEqual([
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
    ]);
  });

  it('takes a protocol suffix', () => {
    expect(parsePortSpec('53:53/udp')).toEqual([
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
    ]);
    expect(parsePortSpec('80/SCTP')[0]?.Protocol).toBe('sctp');
  });

  it('a bare target leaves the published port to the daemon', () => {
    expect(parsePortSpec('80')).toEqual([
      { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' },
    ]);
  });

  it('expands equal-length ranges', () => {
    expect(parsePortSpec('8080-8081:80-81')).toEqual([
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'ingress' },
    ]);
    expect(parsePortSpec('80-82')).toHaveLength(3);
  });

  it.each([
    ['', /empty value/],
    ['abc', /target port "abc" is not a port number/],
    ['8080:', /target port "" is not a port number/],
    [':80', /published port "" is not a port number/],
    ['0:80', /published port 0 is outside 1-65535/],
    ['8080:70000', /target port 70000 is outside/],
    ['80/icmp', /unknown protocol "icmp"/],
    ['127.0.0.1:8080:80', /host IP cannot be given/],
    ['8080-8082:80-81', /same length/],
    ['81-80', /reversed/],
    ['80/', /unknown protocol ""/],
  ])('refuses %j', (input, why) => {
    expect(() => parsePortSpec(input)).toThrow(UsageError);
    expect(() => parsePortSpec(input)).toThrow(why);
  });
});

describe('parsePortSpec, long syntax', () => {
  it('reads every field', () => {
    expect(parsePortSpec('published=8080,target=80,protocol=udp,mode=host')).toEqual([
      { Protocol: 'udp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
    ]);
  });

  it('defaults protocol and mode, and published is optional', () => {
    expect(parsePortSpec('target=80')).toEqual([
      { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' },
    ]);
  });

  it.each([
    ['published=8080', /target is required/],
    ['target=80,mode=bridge', /unknown mode "bridge"/],
    ['target=80,color=red', /unknown field "color"/],
    ['target=80,published', /not key=value/],
    ['target=x', /not a port number/],
  ])('refuses %j', (input, why) => {
    expect(() => parsePortSpec(input)).toThrow(why);
  });
});

describe('formatPort', () => {
  it('shows ingress and host ports the way docker lists them', () => {
    expect(formatPort({ Protocol: 'tcp', PublishedPort: 8080, TargetPort: 80 })).toBe(
      '*:8080->80/tcp',
    );
    expect(
      formatPort({ Protocol: 'udp', PublishedPort: 53, TargetPort: 53, PublishMode: 'host' }),
    ).toBe('53->53/udp (host)');
  });
});

describe('port spec properties', () => {
  const port = fc.integer({ min: 1, max: 65535 });
  const protocol = fc.constantFrom('tcp', 'udp', 'sctp');

  it('parses every well-formed short spec to exactly what it says', () => {
    fc.assert(
      fc.property(port, port, protocol, (published, target, proto) => {
        expect(parsePortSpec(`${published}:${target}/${proto}`)).toEqual([
          { Protocol: proto, TargetPort: target, PublishedPort: published, PublishMode: 'ingress' },
        ]);
      }),
    );
  });

  it('parses every well-formed long spec, in any field order', () => {
    fc.assert(
      fc.property(
        port,
        port,
        protocol,
        fc.constantFrom('ingress', 'host'),
        (published, target, proto, mode) => {
          const fields = [
            `published=${published}`,
            `target=${target}`,
            `protocol=${proto}`,
            `mode=${mode}`,
          ];
          expect(parsePortSpec(fields.reverse().join(','))).toEqual([
            { Protocol: proto, TargetPort: target, PublishedPort: published, PublishMode: mode },
          ]);
        },
      ),
    );
  });

  const specAlphabet = fc.constantFrom(...'0123456789:/-=,.tcpudsargehmoblix '.split(''));
  const anyString = fc.oneof(
    fc.string({ unit: specAlphabet, maxLength: 24 }),
    fc.string(),
    fc.string({ unit: 'binary' }),
  );

  it('on any input, returns valid ports or throws a UsageError quoting the input and the syntax', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        let ports;
        try {
          ports = parsePortSpec(input);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message).toContain(`invalid publish spec ${JSON.stringify(input)}`);
          expect((err as Error).message).toContain(PORT_SYNTAX);
          return;
        }
        expect(ports.length).toBeGreaterThan(0);
        for (const p of ports) {
          expect(p.TargetPort).toBeGreaterThanOrEqual(1);
          expect(p.TargetPort).toBeLessThanOrEqual(65535);
          expect(['tcp', 'udp', 'sctp']).toContain(p.Protocol);
          expect(['ingress', 'host']).toContain(p.PublishMode);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects any input without a digit (there is no port in it)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/\d/.test(s)),
        (input) => {
          expect(() => parsePortSpec(input)).toThrow(UsageError);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
