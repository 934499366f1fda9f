/**
 * A score trend at a glance: one block character per week on a fixed 0–100 scale, so the
 * same height means the same score for every domain, and a gap character for a week without
 * a score. The text alternative says the same for screen readers.
 */

export const SPARK_BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** a week without a score (no check, or the check failed) */
export const SPARK_GAP = '·';
export const DEFAULT_SPARK_WIDTH = 8;

function usable(score: number | null | undefined): score is number {
  return typeof score === 'number' && Number.isFinite(score);
}

/** The block for one score: eight equal bands of 12.5 points (0–12 ▁ … 88–100 █). */
export function sparkBlock(score: number | null | undefined): string {
  if (!usable(score)) return SPARK_GAP;
  const clamped = Math.min(100, Math.max(0, score));
  const level = Math.min(SPARK_BLOCKS.length - 1, Math.floor((clamped * SPARK_BLOCKS.length) / 100));
  return SPARK_BLOCKS[level] ?? SPARK_GAP;
}

/** The last `width` scores, oldest first, padded on the left with gaps so the newest is always rightmost. */
function windowOf(scores: readonly (number | null)[], width: number): (number | null)[] {
  const w = Math.max(0, Math.floor(width));
  const recent = w === 0 ? [] : scores.slice(-w);
  return [...Array<null>(w - recent.length).fill(null), ...recent];
}

/** `scores` oldest first; e.g. [72, 75, null, 91] → "····▆▆·▇". */
export function sparkline(scores: readonly (number | null)[], width = DEFAULT_SPARK_WIDTH): string {
  return windowOf(scores, width).map(sparkBlock).join('');
}

/**
 * The text alternative for the same window, oldest first, without the leading padding:
 * "scores 72, 75, no data, 91"; "no scores yet" when there is none.
 */
export function sparklineText(scores: readonly (number | null)[], width = DEFAULT_SPARK_WIDTH): string {
  const win = windowOf(scores, width);
  const first = win.findIndex(usable);
  if (first === -1) return 'no scores yet';
  const parts = win.slice(first).map((s) => (usable(s) ? String(Math.round(s)) : 'no data'));
  return `scores ${parts.join(', ')}`;
}
