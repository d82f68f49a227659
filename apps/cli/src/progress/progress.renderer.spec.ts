import { describe, expect, it } from 'vitest';
import { barWidthFor, progressBar, renderItem } from './progress.renderer';
import { LogScreen, QUIET_SCREEN, TerminalScreen, screenFor } from './progress.screen';
import type { ProgressItem } from './task-progress.model';

describe('progress renderer', () => {
  it('draws docker-style bars', () => {
    expect(progressBar(0, 9, 10)).toBe('[>          ]');
    expect(progressBar(9, 9, 10)).toBe('[==========>]');
    expect(progressBar(4, 9, 9)).toBe('[====>     ]');
    expect(progressBar(20, 9, 4)).toBe('[====>]');
    expect(progressBar(1, 0, 4)).toBe('[>    ]');
  });

  it('renders label, text and bar; a blank item is just its label', () => {
    expect(renderItem({ label: '1/3', text: 'running  ', current: 9, total: 9 }, 4)).toBe(
      '1/3: running   [====>]',
    );
    expect(renderItem({ label: '1/3', text: 'running  ', current: 9, total: 9 }, 0)).toBe(
      '1/3: running',
    );
    expect(renderItem({ label: '2/3', text: '' })).toBe('2/3:');
    expect(renderItem({ label: 'verify', text: 'Service web converged' })).toBe(
      'verify: Service web converged',
    );
  });

  it('narrows the bars to fit the terminal, and drops them when even a short one does not fit', () => {
    const items: ProgressItem[] = [{ label: '1/3', text: 'preparing', current: 6, total: 9 }];
    expect(barWidthFor(items, undefined)).toBe(50);
    expect(barWidthFor(items, 200)).toBe(50);
    const width = barWidthFor(items, 60);
    expect(width).toBeGreaterThanOrEqual(10);
    expect(renderItem(items[0]!, width).length).toBeLessThan(60);
    expect(barWidthFor(items, 20)).toBe(0);
  });
});

describe('progress screens', () => {
  const collect = () => {
    const out: string[] = [];
    return { out, writer: { write: (t: string) => out.push(t) } };
  };
  const frame = (state: string, done: number): ProgressItem[] => [
    { label: 'overall progress', text: `${done} out of 1 tasks` },
    { label: '1/1', text: state },
  ];

  it('off a terminal, prints each line when it first shows or changes', () => {
    const { out, writer } = collect();
    const screen = new LogScreen(writer);
    screen.draw(frame('starting', 0));
    screen.draw(frame('starting', 0));
    screen.draw(frame('running', 1));
    expect(out.join('')).toBe(
      'overall progress: 0 out of 1 tasks\n1/1: starting\n' +
        'overall progress: 1 out of 1 tasks\n1/1: running\n',
    );
  });

  it('on a terminal, redraws the frame in place with cursor moves', () => {
    const { out, writer } = collect();
    const screen = new TerminalScreen(writer, 80);
    screen.draw(frame('starting', 0));
    screen.draw(frame('starting', 0)); // unchanged: nothing written
    screen.draw([...frame('running', 1), { label: 'verify', text: 'Service web converged' }]);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(
      '\u001b[2Koverall progress: 0 out of 1 tasks\n\u001b[2K1/1: starting\n\u001b[J',
    );
    // Back up over the two lines drawn, then the three new ones.
    expect(out[1]).toBe(
      '\u001b[2A\r\u001b[2Koverall progress: 1 out of 1 tasks\n\u001b[2K1/1: running\n' +
        '\u001b[2Kverify: Service web converged\n\u001b[J',
    );
  });

  it('cuts lines to the terminal width so redraws stay aligned', () => {
    const { out, writer } = collect();
    new TerminalScreen(writer, 20).draw([{ label: 'rollback', text: 'x'.repeat(40) }]);
    expect(out[0]).toBe(`\u001b[2Krollback: ${'x'.repeat(9)}\n\u001b[J`);
  });

  it('picks the screen: quiet draws nothing, a TTY redraws, anything else logs', () => {
    const { writer } = collect();
    expect(screenFor(writer, true)).toBe(QUIET_SCREEN);
    expect(screenFor({ ...writer, isTTY: true, columns: 80 }, false)).toBeInstanceOf(
      TerminalScreen,
    );
    expect(screenFor(writer, false)).toBeInstanceOf(LogScreen);
  });
});
