/**
 * The chain "deploy assets → docs/metrics.md": which metric names and labels the catalogue
 * documents, and which ones a PromQL expression uses. Another test holds the catalogue to
 * what the registry exports, so together they prove every query names a real series.
 */

export interface CatalogueEntry {
  /** A name, or a prefix when the row is a wildcard such as `process_*`. */
  name: string;
  wildcard: boolean;
  type: string;
  labels: string[];
}

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS = ['instance', 'job'];

/** Parses the catalogue table: rows of "| `name`[, `name`] | type | `label`, ... | meaning |". */
export function parseCatalogue(markdown: string): CatalogueEntry[] {
  const out: CatalogueEntry[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // '', name, type, labels, meaning, ''
    if (cells.length < 6 || !cells[1]!.startsWith('`')) continue;
    const type = cells[2]!;
    const labels = [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const m of cells[1]!.matchAll(/`([^`]+)`/g)) {
      const raw = m[1]!;
      const wildcard = raw.endsWith('*');
      out.push({ name: wildcard ? raw.slice(0, -1) : raw, wildcard, type, labels });
    }
  }
  return out;
}

/** The catalogue entry for a series name (a histogram's _bucket/_sum/_count included). */
export function lookup(catalogue: CatalogueEntry[], series: string): CatalogueEntry | undefined {
  const exact = catalogue.find((e) => !e.wildcard && e.name === series);
  if (exact) return exact;
  const base = /^(.*)_(bucket|sum|count)$/.exec(series)?.[1];
  const histogram = catalogue.find(
    (e) => !e.wildcard && e.name === base && e.type.startsWith('histogram'),
  );
  if (histogram) return histogram;
  return catalogue.find((e) => e.wildcard && series.startsWith(e.name));
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export interface SelectorUse {
  metric: string;
  /** Label names matched in the selector's braces. */
  labels: string[];
}

/**
 * The metric selectors in a PromQL expression (Grafana's `$variables` allowed): every
 * identifier that is not a function call, keyword, label list, string or duration, with
 * the label names of its matchers. Grafana's `label_values(metric, label)` counts as a use of
 * `metric`.
 */
export function selectorsIn(expr: string): SelectorUse[] {
  let s = expr.replace(/label_values\(\s*([^,)\s]+)\s*(?:,[^)]*)?\)/g, ' $1 ');
  // Strings first: they may hold anything, braces and names included.
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  // Label lists of grouping and vector matching: names there are labels, not metrics.
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  // Range and subquery brackets, and Grafana variables.
  s = s.replace(/\[[^\]]*\]/g, ' ').replace(/\$\{?\w+\}?/g, ' ');
  const out: SelectorUse[] = [];
  const re = /([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const [, name, braces, call] = m;
    // A digit before it: part of a number such as 1e3 or a duration.
    if (m.index > 0 && /[0-9.]/.test(s[m.index - 1]!)) continue;
    if (call && !braces) continue; // a function or aggregation
    if (KEYWORDS.has(name!.toLowerCase())) continue;
    const labels = braces ? [...braces.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)] : [];
    out.push({ metric: name!, labels: labels.map((l) => l[1]!) });
  }
  return out;
}

/** Problems with an expression against the catalogue; empty when it is fine. */
export function checkExpression(catalogue: CatalogueEntry[], expr: string): string[] {
  const problems: string[] = [];
  for (const use of selectorsIn(expr)) {
    const entry = lookup(catalogue, use.metric);
    if (!entry) {
      problems.push(`${use.metric} is not in docs/metrics.md`);
      continue;
    }
    if (entry.wildcard) continue; // prom-client's own series: labels not catalogued
    for (const label of use.labels) {
      const isLe = label === 'le' && use.metric.endsWith('_bucket');
      if (!entry.labels.includes(label) && !TARGET_LABELS.includes(label) && !isLe) {
        problems.push(`${use.metric} has no label ${label} in docs/metrics.md`);
      }
    }
  }
  return problems;
}

/**
 * The `expr:` values of a Prometheus rule file, in the YAML subset deploy/prometheus uses:
 * an inline scalar, or a block scalar (`>-`, `|`) on the lines indented below it. Callers
 * compare the count with promtool's so a form this misses cannot pass silently.
 */
export function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:-\s+)?expr:\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length;
    const value = m[2]!.trim();
    if (!/^[>|][-+]?$/.test(value)) {
      out.push(value.replace(/^'(.*)'$|^"(.*)"$/, '$1$2'));
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length) {
      const next = lines[i + 1]!;
      if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
      block.push(next.trim());
      i++;
    }
    out.push(block.join(' ').trim());
  }
  return out;
}
