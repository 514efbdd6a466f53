import { searchHistory } from './version-trust';

describe('searchHistory', () => {
  it('orders trials by number, keeps the best complete MAE so far and marks pruned ones', () => {
    const history = searchHistory([
      { number: 2, params: {}, value: 320, state: 'complete', durationMs: 1 },
      { number: 0, params: {}, value: 350, state: 'complete', durationMs: 1 },
      {
        number: 1,
        params: {},
        value: null,
        state: 'pruned',
        durationMs: 1,
        intermediate: [
          { step: 10, value: 900 },
          { step: 20, value: 700 },
        ],
      },
      { number: 3, params: {}, value: null, state: 'failed', durationMs: 1, error: 'x' },
    ]);
    expect(history).toEqual([
      { number: 0, state: 'complete', mae: 350, bestSoFar: 350, pruned: false },
      { number: 1, state: 'pruned', mae: 700, bestSoFar: 350, pruned: true },
      { number: 2, state: 'complete', mae: 320, bestSoFar: 320, pruned: false },
      { number: 3, state: 'failed', mae: null, bestSoFar: 320, pruned: false },
    ]);
  });
});
