import { XgboostLogFamily } from './xgboost-log.family';
import { XGBOOST_LOG_FIRST_TRIALS } from './xgboost-search-space';
import { bundledRows } from '../../../test/support/bundled-rows';

describe('XgboostLogFamily search', () => {
  it('tries its enqueued starting points (depth 5, then depth 6) before sampling, and keeps the better', async () => {
    expect(XGBOOST_LOG_FIRST_TRIALS.map((t) => t.max_depth)).toEqual([5, 6]);
    const result = await new XgboostLogFamily().train(bundledRows(80), {
      seed: 3,
      trials: 2,
      concurrency: 1,
    });
    try {
      expect(result.trials.map((t) => t.params)).toEqual([...XGBOOST_LOG_FIRST_TRIALS]);
      const [a, b] = result.trials.map((t) => t.value as number);
      expect(result.params).toMatchObject({ max_depth: a <= b ? 5 : 6, n_estimators: 1000 });
    } finally {
      result.model.dispose();
    }
  });
});
