import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidReportError,
  sanitizeNodeDescription,
  sanitizeTaskStatus,
} from './reports.sanitizer';
import {
  DEFAULT_HEARTBEAT_POLICY,
  heartbeatGraceMs,
  heartbeatPeriodMs,
  jitteredDelayMs,
} from './heartbeat.policy';

describe('sanitizeTaskStatus', () => {
  it('keeps the fields agents write', () => {
    expect(
      sanitizeTaskStatus(
        JSON.stringify({
          State: 'failed',
          Message: 'failed',
          Err: 'task: non-zero exit (3)',
          Timestamp: '2026-01-01T00:00:00Z',
          ContainerStatus: { ExitCode: 3, PID: 42, Extra: 1 },
          Bogus: true,
        }),
      ),
    ).toEqual({
      State: 'failed',
      Message: 'failed',
      Err: 'task: non-zero exit (3)',
      Timestamp: '2026-01-01T00:00:00Z',
      ContainerStatus: { ExitCode: 3, PID: 42 },
    });
  });

  it('refuses states only managers set, naming the accepted ones', () => {
    for (const State of ['pending', 'assigned', 'remove', 'orphaned', 'RUNNING', 7]) {
      expect(() => sanitizeTaskStatus(JSON.stringify({ State }))).toThrow(/accepted: accepted, /);
    }
  });

  it('only ever throws InvalidReportError, for any input (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (input) => {
          try {
            const s = sanitizeTaskStatus(input);
            expect(typeof s.State).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidReportError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('sanitizeNodeDescription', () => {
  it('never throws and keeps only typed NodeDescription fields (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (input) => {
          const d = sanitizeNodeDescription(input);
          if (d === undefined) return;
          expect(Object.keys(d).sort()).toEqual(['Engine', 'Hostname', 'Platform', 'Resources']);
          expect(typeof d.Hostname).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('heartbeat policy', () => {
  it('keeps 1 s up to 50 nodes, then spreads to at most 50 beats a second', () => {
    const p = DEFAULT_HEARTBEAT_POLICY;
    expect(heartbeatPeriodMs(1, p)).toBe(1_000);
    expect(heartbeatPeriodMs(50, p)).toBe(1_000);
    expect(heartbeatPeriodMs(100, p)).toBe(2_000);
    expect(heartbeatPeriodMs(1_000, p)).toBe(20_000);
    expect(heartbeatGraceMs(1_000, p)).toBe(2_500);
  });

  it('agents beat early, never late', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (period, r) => {
          const d = jitteredDelayMs(period, r);
          expect(d).toBeLessThanOrEqual(period);
          expect(d).toBeGreaterThanOrEqual(Math.floor(period * 0.75));
        },
      ),
    );
  });
});
