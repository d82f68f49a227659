import { type EventMessage } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { EventFilter, parseDockerTimestamp, parseEventsQuery } from './events.query';

const msg = (over: Partial<EventMessage> = {}): EventMessage => ({
  Type: 'service',
  Action: 'update',
  Actor: { ID: 'abc123', Attributes: { name: 'web', 'replicas.new': '3' } },
  scope: 'swarm',
  time: 1,
  timeNano: 1e9,
  ...over,
});
const filter = (f: Record<string, string[]>) => new EventFilter(new Map(Object.entries(f)));

describe('parseDockerTimestamp', () => {
  it('reads seconds with an optional fraction', () => {
    expect(parseDockerTimestamp('since', '1700000000')).toBe(1_700_000_000_000_000_000n);
    expect(parseDockerTimestamp('since', '1700000000.5')).toBe(1_700_000_000_500_000_000n);
    expect(parseDockerTimestamp('since', '1700000000.123456789')).toBe(1_700_000_000_123_456_789n);
    expect(parseDockerTimestamp('since', '')).toBeUndefined();
    expect(parseDockerTimestamp('since', undefined)).toBeUndefined();
  });

  it.each(['abc', '-1', '1.', '.5', '1e9', '1700000000.1234567890', '2024-01-01T00:00:00Z'])(
    'refuses %j with a 400',
    (raw) => {
      expect(() => parseDockerTimestamp('until', raw)).toThrow(
        expect.objectContaining({ status: 400 }),
      );
    },
  );
});

describe('parseEventsQuery', () => {
  it("refuses until before since with Docker's text", () => {
    expect(() => parseEventsQuery({ since: '20', until: '10' })).toThrow(
      '`since` time (20) cannot be after `until` time (10)',
    );
  });

  it('refuses repeated parameters and unknown filters', () => {
    expect(() => parseEventsQuery({ since: ['1', '2'] })).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => parseEventsQuery({ filters: '{"colour":["red"]}' })).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => parseEventsQuery({ filters: '{' })).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  it('accepts both filter encodings', () => {
    const q = parseEventsQuery({ filters: '{"type":{"service":true},"event":["update"]}' });
    expect(q.filter.matches(msg())).toBe(true);
    expect(q.filter.matches(msg({ Type: 'node' }))).toBe(false);
  });
});

describe('EventFilter', () => {
  it('matches type, event and scope exactly', () => {
    expect(filter({}).matches(msg())).toBe(true);
    expect(filter({ type: ['node', 'service'] }).matches(msg())).toBe(true);
    expect(filter({ type: ['serv'] }).matches(msg())).toBe(false);
    expect(filter({ event: ['create'] }).matches(msg())).toBe(false);
    expect(filter({ scope: ['swarm'] }).matches(msg())).toBe(true);
    expect(filter({ scope: ['local'] }).matches(msg())).toBe(false);
  });

  it('matches objects by ID or name prefix', () => {
    expect(filter({ service: ['abc'] }).matches(msg())).toBe(true);
    expect(filter({ service: ['we'] }).matches(msg())).toBe(true);
    expect(filter({ service: ['db'] }).matches(msg())).toBe(false);
    // As in Docker, naming a node drops events about other objects.
    expect(filter({ node: ['zzz'] }).matches(msg())).toBe(false);
  });

  it("matches task events by their service's and node's IDs and names too", () => {
    const task = msg({
      Type: 'task',
      Actor: {
        ID: 'tsk1',
        Attributes: {
          name: 'web.1.tsk1',
          'service.id': 'svc9',
          'service.name': 'web',
          'node.id': 'nd7',
        },
      },
    });
    expect(filter({ type: ['task'] }).matches(task)).toBe(true);
    expect(filter({ type: ['service'] }).matches(task)).toBe(false);
    expect(filter({ service: ['svc9'] }).matches(task)).toBe(true);
    expect(filter({ service: ['web'] }).matches(task)).toBe(true);
    expect(filter({ service: ['db'] }).matches(task)).toBe(false);
    expect(filter({ node: ['nd7'] }).matches(task)).toBe(true);
    expect(filter({ node: ['nd8'] }).matches(task)).toBe(false);
    expect(filter({ service: ['svc9'], node: ['nd7'] }).matches(task)).toBe(true);
    // Other types keep Docker's rule: only their own ID and name count.
    const service = msg({ Actor: { ID: 'abc', Attributes: { name: 'web', 'node.id': 'nd7' } } });
    expect(filter({ node: ['nd7'] }).matches(service)).toBe(false);
  });

  it('matches labels against the attributes', () => {
    expect(filter({ label: ['name=web'] }).matches(msg())).toBe(true);
    expect(filter({ label: ['replicas.new'] }).matches(msg())).toBe(true);
    expect(filter({ label: ['name=db'] }).matches(msg())).toBe(false);
    expect(filter({ label: ['constructor'] }).matches(msg())).toBe(false);
  });

  it('knows when nothing can match', () => {
    expect(filter({ scope: ['local'] }).matchesNothing).toBe(true);
    expect(filter({ container: ['x'] }).matchesNothing).toBe(true);
    expect(filter({ container: ['x'] }).matches(msg())).toBe(false);
    expect(filter({ scope: ['local', 'swarm'] }).matchesNothing).toBe(false);
    expect(filter({}).matchesNothing).toBe(false);
  });
});
