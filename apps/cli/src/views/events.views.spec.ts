import { describe, expect, it } from 'vitest';
import { parseEventLine, renderEventLine } from './events.views';

describe('parseEventLine', () => {
  it('keeps timeNano exact', () => {
    const e = parseEventLine('{"Type":"node","time":1714564800,"timeNano":1714564800999999999}');
    expect(e.timeNano).toBe('1714564800999999999');
    expect(e.Type).toBe('node');
  });

  it('falls back to time in seconds', () => {
    expect(parseEventLine('{"Type":"node","time":1714564800}').timeNano).toBe(
      '1714564800000000000',
    );
  });
});

describe('renderEventLine', () => {
  const event = parseEventLine(
    '{"Type":"node","Action":"update","Actor":{"ID":"n1","Attributes":{"state.old":"ready","state.new":"down","name":"host-a"}},"timeNano":1714564800000000042}',
  );

  it('prints UTC as Z with nine fraction digits', () => {
    expect(renderEventLine(event, 0)).toBe(
      '2024-05-01T12:00:00.000000042Z node update n1 (name=host-a, state.new=down, state.old=ready)\n',
    );
  });

  it('prints local time with its offset', () => {
    expect(renderEventLine(event, 120)).toMatch(/^2024-05-01T14:00:00\.000000042\+02:00 /);
    expect(renderEventLine(event, -330)).toMatch(/^2024-05-01T06:30:00\.000000042-05:30 /);
  });

  it('leaves out the parentheses without attributes', () => {
    const bare = parseEventLine(
      '{"Type":"config","Action":"remove","Actor":{"ID":"c1"},"timeNano":1}',
    );
    expect(renderEventLine(bare, 0)).toBe('1970-01-01T00:00:00.000000001Z config remove c1\n');
  });
});
