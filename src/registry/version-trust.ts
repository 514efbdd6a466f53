import type { TrialRecord } from '../model-runtime/model-family';

interface SearchHistoryPoint {
  number: number;
  state: TrialRecord['state'];
  /** Validation MAE of a complete trial; for a pruned trial, the last value it reported; null if none. */
  mae: number | null;
  /** Lowest MAE of the complete trials up to this one (null before the first). */
  bestSoFar: number | null;
  pruned: boolean;
}

/** Each trial in the order it was numbered, with the best complete MAE so far. */
export function searchHistory(trials: readonly TrialRecord[]): SearchHistoryPoint[] {
  let best: number | null = null;
  return [...trials]
    .sort((a, b) => a.number - b.number)
    .map((t) => {
      if (t.state === 'complete' && t.value !== null && (best === null || t.value < best))
        best = t.value;
      const last = t.intermediate?.[t.intermediate.length - 1]?.value ?? null;
      return {
        number: t.number,
        state: t.state,
        mae: t.state === 'complete' ? t.value : last,
        bestSoFar: best,
        pruned: t.state === 'pruned',
      };
    });
}
