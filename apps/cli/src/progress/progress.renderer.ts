/**
 * Progress lines as text, the way `docker service update` draws them:
 *
 *   overall progress: 2 out of 3 tasks
 *   1/3: running   [==================================================>]
 *   2/3: running   [==================================================>]
 *   3/3: starting  [============================================>      ]
 *   verify: Waiting 5 seconds to verify that tasks are stable...
 *
 * Pure: items in, strings out.
 */
import type { ProgressItem, ProgressView } from './task-progress.model';

/** Docker's bar: 50 characters of `=` at 100 %, then `>`. */
export const DEFAULT_BAR_WIDTH = 50;

/** `[====>    ]`: `width` cells filled in proportion to current/total, then the arrow. */
export function progressBar(current: number, total: number, width = DEFAULT_BAR_WIDTH): string {
  const ratio = total > 0 ? Math.min(Math.max(current / total, 0), 1) : 0;
  const filled = Math.floor(ratio * width);
  return `[${'='.repeat(filled)}>${' '.repeat(width - filled)}]`;
}

/** One line: `label: text`, and the bar when the item has one (and `barWidth` > 0). */
export function renderItem(item: ProgressItem, barWidth = DEFAULT_BAR_WIDTH): string {
  const bar =
    item.total !== undefined && barWidth > 0
      ? ` ${progressBar(item.current ?? 0, item.total, barWidth)}`
      : '';
  return `${item.label}: ${item.text}${bar}`.trimEnd();
}

/** The items of one frame, top to bottom: the summary, one per slot or node, then `notes`. */
export function frameItems(
  view: ProgressView | undefined,
  notes: readonly ProgressItem[],
): ProgressItem[] {
  return [...(view?.summary ?? []), ...(view?.items ?? []), ...notes];
}

/** A whole frame as lines. */
export function renderFrame(items: readonly ProgressItem[], barWidth?: number): string[] {
  return items.map((item) => renderItem(item, barWidth));
}

/**
 * The bar width that keeps the longest line of a frame within a terminal `columns` wide
 * (0: no bars, when even a 10-cell bar does not fit), so no line wraps and in-place redraws
 * stay aligned.
 */
export function barWidthFor(items: readonly ProgressItem[], columns: number | undefined): number {
  if (columns === undefined || columns <= 0) return DEFAULT_BAR_WIDTH;
  const longest = Math.max(
    0,
    ...items.filter((i) => i.total !== undefined).map((i) => renderItem(i, 0).length),
  );
  // "text [" + bar + ">]" and one spare column, so the cursor never sits past the edge.
  const room = columns - longest - 5;
  if (room >= DEFAULT_BAR_WIDTH) return DEFAULT_BAR_WIDTH;
  return room >= 10 ? room : 0;
}
