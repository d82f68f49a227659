/**
 * docker's list layout: the engine's CLI writes rows through Go's tabwriter with a minimum cell
 * width of 10 and 3 spaces of padding, so every column is as wide as its widest cell plus 3
 * (never under 10), and the last column is left unpadded. Reproducing that exactly keeps
 * shoal's output familiar to eyes and to scripts that cut columns by position.
 */

export interface TableOptions {
  /** Spaces after the widest cell of a column. */
  padding?: number;
  /** Minimum width of a padded column, padding included. */
  minWidth?: number;
}

const DEFAULT_PADDING = 3;
const DEFAULT_MIN_WIDTH = 10;

/** Display width in code points, so "µs" or a non-ASCII hostname counts as one column each. */
function width(text: string): number {
  return [...text].length;
}

/** Renders a header row and data rows; returns the lines joined with "\n" and a final "\n". */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const padding = options.padding ?? DEFAULT_PADDING;
  const minWidth = options.minWidth ?? DEFAULT_MIN_WIDTH;
  const all = [headers, ...rows];
  const columns = headers.length;
  const widths = headers.map((_, col) =>
    Math.max(minWidth, ...all.map((row) => width(row[col] ?? '') + padding)),
  );
  const lines = all.map((row) => {
    let line = '';
    for (let col = 0; col < columns; col++) {
      const cell = row[col] ?? '';
      const last = col === columns - 1;
      line += last ? cell : cell + ' '.repeat((widths[col] ?? 0) - width(cell));
    }
    // An empty last cell would leave the previous column's padding dangling at the end of the
    // line; trim it so output diffs and copy-paste stay clean.
    return line.trimEnd();
  });
  return lines.join('\n') + '\n';
}
