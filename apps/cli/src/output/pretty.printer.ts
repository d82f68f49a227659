/**
 * `inspect --pretty` layout: "Label: value" lines with the values of a block aligned in one
 * column, and value-less lines as section headings. Nesting is shown by leading spaces in
 * the label, as docker does.
 */

export interface PrettyLine {
  label: string;
  /** Undefined for a section heading ("Status:") or a plain line. */
  value?: string;
  /** A plain line printed as is (list items such as " - key=value"). */
  plain?: boolean;
}

export const field = (label: string, value: string | number | undefined): PrettyLine[] =>
  value === undefined || value === '' ? [] : [{ label, value: String(value) }];

export const section = (label: string, lines: PrettyLine[]): PrettyLine[] =>
  lines.length === 0 ? [] : [{ label }, ...lines];

export const plain = (text: string): PrettyLine => ({ label: text, plain: true });

/**
 * Renders the lines. `align` (the default) lines values up in one column, as docker's inspect
 * --pretty and version do; docker info does not align, so `shoal info` passes false.
 */
export function renderPretty(lines: readonly PrettyLine[], align = true): string {
  const width = align
    ? Math.max(0, ...lines.filter((l) => l.value !== undefined).map((l) => l.label.length + 1))
    : 0;
  const render = (line: PrettyLine): string => {
    if (line.plain) return line.label;
    if (line.value === undefined) return `${line.label}:`;
    return `${`${line.label}:`.padEnd(width)} ${line.value}`.trimEnd();
  };
  return lines.map(render).join('\n') + '\n';
}
