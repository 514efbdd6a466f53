import { MedianPruner, percentile } from './median-pruner';
import { TrialRecord } from './trial';

function completed(number: number, curve: number[]): TrialRecord {
  return {
    number,
    params: {},
    value: curve[curve.length - 1],
    state: 'complete',
    durationMs: 1,
    intermediate: curve.map((value, i) => ({ step: (i + 1) * 10, value })),
  };
}

describe('MedianPruner', () => {
  const finished = [100, 90, 80, 70, 60].map((start, i) =>
    completed(i, [start, start / 2, start / 4]),
  );

  it('prunes a trial clearly worse than the median at the same step', () => {
    const pruner = new MedianPruner();
    expect(pruner.shouldPrune([{ step: 10, value: 5000 }], finished)).toBe(true);
  });

  it('keeps a trial at or better than the median', () => {
    const pruner = new MedianPruner();
    expect(pruner.shouldPrune([{ step: 10, value: 80 }], finished)).toBe(false);
    expect(
      pruner.shouldPrune(
        [
          { step: 10, value: 75 },
          { step: 20, value: 30 },
        ],
        finished,
      ),
    ).toBe(false);
  });

  it('judges a trial by its best value so far', () => {
    const pruner = new MedianPruner();
    expect(
      pruner.shouldPrune(
        [
          { step: 10, value: 60 },
          { step: 20, value: 400 },
        ],
        finished,
      ),
    ).toBe(true);
    expect(
      pruner.shouldPrune(
        [
          { step: 10, value: 60 },
          { step: 20, value: 30 },
          { step: 30, value: 31 },
        ],
        finished,
      ),
    ).toBe(true);
    expect(
      pruner.shouldPrune(
        [
          { step: 10, value: 60 },
          { step: 20, value: 15 },
          { step: 30, value: 400 },
        ],
        finished,
      ),
    ).toBe(false);
  });

  it('waits for its start-up trials and warm-up steps', () => {
    expect(new MedianPruner().shouldPrune([{ step: 10, value: 5000 }], finished.slice(0, 4))).toBe(
      false,
    );
    expect(
      new MedianPruner({ nWarmupSteps: 20 }).shouldPrune([{ step: 10, value: 5000 }], finished),
    ).toBe(false);
  });

  it('ignores pruned trials and steps nobody completed', () => {
    const pruned: TrialRecord = { ...completed(9, [1]), state: 'pruned', value: null };
    expect(
      new MedianPruner().shouldPrune(
        [{ step: 10, value: 5000 }],
        [...finished.slice(0, 4), pruned],
      ),
    ).toBe(false);
    expect(new MedianPruner().shouldPrune([{ step: 15, value: 5000 }], finished)).toBe(false);
  });

  it('prunes NaN', () => {
    expect(new MedianPruner().shouldPrune([{ step: 10, value: NaN }], finished)).toBe(true);
  });
});

describe('percentile', () => {
  it('interpolates like numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3], 50)).toBe(3);
    expect(percentile([1, NaN, 3], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });
});
