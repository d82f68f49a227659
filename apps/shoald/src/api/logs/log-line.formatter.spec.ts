import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LogLineParseError,
  ZERO_TIMESTAMP,
  dockerTimestamp,
  formatLogDetails,
  formatLogLine,
  goQueryEscape,
  goQueryUnescape,
  parseLogDetails,
  parseLogLine,
  swarmLogDetails,
} from './log-line.formatter';

const ctx = swarmLogDetails({ nodeId: 'node1', serviceId: 'svc1', taskId: 'task1' });
const text = (b: Buffer) => b.toString('utf8');

describe('formatLogLine', () => {
  it('is the bare line without timestamps or details', () => {
    expect(text(formatLogLine({ stream: 'stdout', data: 'hi\n' }, fmt(false, false)))).toBe('hi\n');
  });

  it('puts the timestamp first, then the details, then the line, as dockerd does', () => {
    const line = {
      stream: 'stdout' as const,
      data: Buffer.from('hi\n'),
      timestamp: '2024-05-01T10:00:00.5Z',
      details: { ...ctx, 'com.example.app': 'web shop' },
    };
    expect(text(formatLogLine(line, fmt(true, true)))).toBe(
      '2024-05-01T10:00:00.500000000Z com.docker.swarm.node.id=node1,' +
        'com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=task1,' +
        'com.example.app=web+shop hi\n',
    );
    expect(text(formatLogLine(line, fmt(true, false)))).toBe('2024-05-01T10:00:00.500000000Z hi\n');
  });

  it('starts with a space when details are asked for and there are none', () => {
    expect(text(formatLogLine({ stream: 'stderr', data: 'x' }, fmt(false, true)))).toBe(' x');
  });
});

describe('dockerTimestamp', () => {
  it.each([
    ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000000000Z'],
    ['2024-05-01T10:00:00.123456789Z', '2024-05-01T10:00:00.123456789Z'],
    ['2024-05-01T10:00:00.1234567891234Z', '2024-05-01T10:00:00.123456789Z'],
    ['2024-05-01t10:00:00.1+02:00', '2024-05-01T10:00:00.100000000+02:00'],
    ['Wed, 01 May 2024 10:00:00 GMT', '2024-05-01T10:00:00.000000000Z'],
    ['yesterday', ZERO_TIMESTAMP],
    [undefined, ZERO_TIMESTAMP],
  ])('%j gives %j', (input, want) => expect(dockerTimestamp(input)).toBe(want));
});

describe('details escaping', () => {
  it("escapes as Go's url.QueryEscape", () => {
    expect(goQueryEscape("a b,c=d/é~-_.!*'()")).toBe('a+b%2Cc%3Dd%2F%C3%A9~-_.%21%2A%27%28%29');
    expect(goQueryUnescape('a+b%2Cc%3dd%2F%C3%A9~')).toBe('a b,c=d/é~');
  });

  it('sorts keys by their bytes', () => {
    expect(formatLogDetails({ b: '1', a: '2', B: '3' })).toBe('B=3,a=2,b=1');
  });

  it('refuses malformed details, saying what was expected', () => {
    expect(() => parseLogDetails('a=1,b')).toThrow(/"b" is not key=value/);
    expect(() => parseLogDetails('a=%G1')).toThrow(/invalid escape "%G1" .* expected %XX/);
    expect(() => parseLogDetails('a=%4')).toThrow(LogLineParseError);
  });
});

describe('parseLogLine', () => {
  it('splits what the docker CLI splits', () => {
    const payload = Buffer.from(
      '2024-05-01T10:00:00.000000000Z com.docker.swarm.node.id=n,com.docker.swarm.service.id=s,com.docker.swarm.task.id=t a b c\n',
    );
    expect(parseLogLine(payload, fmt(true, true))).toEqual({
      timestamp: '2024-05-01T10:00:00.000000000Z',
      details: {
        'com.docker.swarm.node.id': 'n',
        'com.docker.swarm.service.id': 's',
        'com.docker.swarm.task.id': 't',
      },
      data: Buffer.from('a b c\n'),
    });
  });

  it('says which prefix is missing', () => {
    expect(() => parseLogLine(Buffer.from('no-space'), fmt(true, false))).toThrow(
      /no timestamp prefix: expected "<timestamp> " before the line, got "no-space"/,
    );
  });

  it('parse(format(line)) gives back the details and the line, for any of them', () => {
    const details = fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        fc.option(details, { nil: undefined }),
        fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(253402300799999) }),
        fc.boolean(),
        fc.boolean(),
        (data, attrs, date, timestamps, withDetails) => {
          const line = {
            stream: 'stdout' as const,
            data,
            details: attrs,
            timestamp: date.toISOString(),
          };
          const parsed = parseLogLine(
            formatLogLine(line, fmt(timestamps, withDetails)),
            fmt(timestamps, withDetails),
          );
          expect(parsed.data).toEqual(data);
          if (withDetails) expect(parsed.details).toEqual({ ...(attrs ?? {}) });
          if (timestamps) {
            expect(parsed.timestamp).toBe(dockerTimestamp(line.timestamp));
            expect(Date.parse(parsed.timestamp!)).toBe(date.getTime());
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

function fmt(timestamps: boolean, details: boolean) {
  return { timestamps, details };
}
