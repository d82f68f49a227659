import { describe, expect, it } from 'vitest';
import { renderTable } from './table.renderer';

describe('renderTable (docker tabwriter layout: min width 10, padding 3)', () => {
  it('pads each column to its widest cell + 3, at least 10, and leaves the last unpadded', () => {
    const out = renderTable(
      ['ID', 'NAME', 'MODE', 'REPLICAS'],
      [
        ['abcdefghijkl', 'web', 'replicated', '2/3'],
        ['mnopqrstuvwx', 'a-much-longer-name', 'global', '1/1'],
      ],
    );
    // Widths: ID 12+3, NAME 18+3, MODE 10+3; REPLICAS is last and unpadded.
    const row = (a: string, b: string, c: string, d: string) =>
      a.padEnd(15) + b.padEnd(21) + c.padEnd(13) + d;
    expect(out).toBe(
      [
        row('ID', 'NAME', 'MODE', 'REPLICAS'),
        row('abcdefghijkl', 'web', 'replicated', '2/3'),
        row('mnopqrstuvwx', 'a-much-longer-name', 'global', '1/1'),
        '',
      ].join('\n'),
    );
  });

  it('honours custom padding and minimum width', () => {
    expect(renderTable(['A', 'B'], [['x', 'y']], { padding: 3, minWidth: 0 })).toBe(
      'A   B\nx   y\n',
    );
  });

  it('trims the padding an empty last cell would leave behind', () => {
    const out = renderTable(['NAME', 'ERROR'], [['web.1', '']]);
    expect(out.split('\n')[1]).toBe('web.1');
  });

  it('measures width in code points', () => {
    const out = renderTable(['UNIT', 'X'], [['\u00b5s-long-unit', 'y']], { minWidth: 0 });
    expect(out).toBe('UNIT           X\n\u00b5s-long-unit   y\n');
  });

  it('prints only the header when there are no rows', () => {
    expect(renderTable(['ID', 'NAME'], [])).toBe('ID        NAME\n');
  });
});
