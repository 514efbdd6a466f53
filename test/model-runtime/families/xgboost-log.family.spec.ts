import { PricedDiamond } from '../../../src/diamonds/diamond-vocabulary';
import {
  loadNotebookDiamonds,
  NOTEBOOK_CSV,
  notebookDataAvailable,
} from '../../support/notebook-data';
import { regressionMetrics } from '../../../src/model-runtime/evaluation/regression-metrics';
import { sklearnTrainTestSplit } from '../../../src/model-runtime/split/sklearn-split';
import { XgboostLogFamily } from '../../../src/model-runtime/families/xgboost-log.family';

const haveData = notebookDataAvailable();
if (!haveData) console.warn(`Skipping the xgboost-log specs: ${NOTEBOOK_CSV} is absent`);
const describeWithData = haveData ? describe : describe.skip;

describeWithData('XgboostLogFamily on the notebook data', () => {
  const family = new XgboostLogFamily();
  let train: PricedDiamond[] = [];
  let test: PricedDiamond[] = [];

  beforeAll(() => {
    ({ train, test } = sklearnTrainTestSplit(loadNotebookDiamonds(), {
      testSize: 0.2,
      randomState: 42,
    }));
  });

  it('fits log(price) and prices in USD about as well as the price-scale model', async () => {
    const { model, params } = await family.train(train, { seed: 42, trials: 0 });
    try {
      expect(params).toMatchObject({ target: 'log-price' });
      // base_score is the mean log price, so the trees start from about e^7.8 USD, not from 0.5.
      expect(params.base_score as number).toBeGreaterThan(7);
      const metrics = regressionMetrics(
        test.map((row) => row.price),
        await model.predict(test),
      );
      expect(metrics.mae).toBeLessThan(370);
      expect(metrics.mape).toBeLessThan(0.09);
    } finally {
      model.dispose();
    }
  });

  it('loads back a model that predicts bit for bit the same', async () => {
    const { model } = await family.train(train, { seed: 42, trials: 0 });
    const loaded = await family.load(model.serialize());
    try {
      const before = await model.predict(test);
      const after = await loaded.predict(test);
      expect(after.every((price, i) => Object.is(price, before[i]))).toBe(true);
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });

  it('searches on worker threads and returns every trial', async () => {
    const result = await family.train(train.slice(0, 800), { seed: 3, trials: 4, concurrency: 2 });
    try {
      expect(result.trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
      expect(result.trials.every((t) => t.state === 'complete' && (t.value as number) > 0)).toBe(
        true,
      );
      expect(result.model.family).toBe('xgboost-log');
    } finally {
      result.model.dispose();
    }
  });
});
