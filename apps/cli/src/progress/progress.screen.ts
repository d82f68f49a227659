/**
 * Where progress frames go. On a terminal the frame is redrawn in place (the cursor moves back
 * up over the previous frame); anywhere else (a pipe, a file, CI logs) only the lines whose
 * text changed are printed, each once, so the output reads as a log of the rollout.
 */
import type { CliWriter } from '../cli.context';
import { barWidthFor, renderFrame, renderItem } from './progress.renderer';
import type { ProgressItem } from './task-progress.model';

export interface ProgressScreen {
  draw(items: readonly ProgressItem[]): void;
}

const ESC = '\u001b[';
/** Cursor up n lines, then to column 1. */
const up = (n: number): string => (n > 0 ? `${ESC}${n}A\r` : '');
const CLEAR_LINE = `${ESC}2K`;
const CLEAR_BELOW = `${ESC}J`;

/** Redraws the whole frame in place with ANSI cursor moves (not at all when it is unchanged). */
export class TerminalScreen implements ProgressScreen {
  private drawn: string[] = [];

  constructor(
    private readonly out: CliWriter,
    private readonly columns?: number,
  ) {}

  draw(items: readonly ProgressItem[]): void {
    const lines = renderFrame(items, barWidthFor(items, this.columns)).map((l) =>
      this.columns && l.length >= this.columns ? l.slice(0, this.columns - 1) : l,
    );
    if (lines.length === this.drawn.length && lines.every((l, i) => l === this.drawn[i])) return;
    this.out.write(
      up(this.drawn.length) + lines.map((l) => `${CLEAR_LINE}${l}\n`).join('') + CLEAR_BELOW,
    );
    this.drawn = lines;
  }
}

/** Prints a line when its label first appears or its text changes; never moves the cursor. */
export class LogScreen implements ProgressScreen {
  private readonly last = new Map<string, string>();

  constructor(private readonly out: CliWriter) {}

  draw(items: readonly ProgressItem[]): void {
    let text = '';
    for (const item of items) {
      const line = renderItem(item);
      if (this.last.get(item.label) === line) continue;
      this.last.set(item.label, line);
      text += `${line}\n`;
    }
    if (text !== '') this.out.write(text);
  }
}

/** `--quiet`: the command still waits, silently. */
export const QUIET_SCREEN: ProgressScreen = { draw: () => undefined };

/** The screen for `out`: in place on a terminal, changes only elsewhere. */
export function screenFor(out: CliWriter, quiet: boolean): ProgressScreen {
  if (quiet) return QUIET_SCREEN;
  return out.isTTY ? new TerminalScreen(out, out.columns) : new LogScreen(out);
}
