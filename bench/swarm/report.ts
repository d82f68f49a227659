import { median, percentile, round } from '../raft/stats';

/**
 * Figures over a handful of trials, and the table the benchmark prints. p50 is the median of
 * the trials (the middle two averaged for an even count, as in bench/raft/failover); p99 is
 * the nearest-rank percentile, which for fewer than 100 trials is the largest one.
 */

export interface TrialSummary {
  n: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  minMs: number | null;
}

export function summarizeTrials(ms: readonly number[], digits = 0): TrialSummary {
  return {
    n: ms.length,
    p50Ms: round(median(ms), digits),
    p99Ms: round(percentile(ms, 99), digits),
    maxMs: round(ms.length ? Math.max(...ms) : NaN, digits),
    minMs: round(ms.length ? Math.min(...ms) : NaN, digits),
  };
}

/** "612 ms", "1.84 s"; "–" for a missing figure. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** "met", "NOT met", or "–" when there is no figure to judge. */
export function verdict(met: boolean | null): string {
  return met === null ? '–' : met ? 'met' : 'NOT met';
}

/** Left-aligned columns separated by two spaces, with a rule under the header. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
