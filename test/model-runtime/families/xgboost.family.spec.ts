import { DiamondFeatures, PricedDiamond } from '../../../src/diamonds/diamond-vocabulary';
import {
  loadNotebookDiamonds,
  NOTEBOOK_CSV,
  notebookDataAvailable,
} from '../../support/notebook-data';
import { regressionMetrics } from '../../../src/model-runtime/evaluation/regression-metrics';
import { containsParams } from '../../../src/model-runtime/search/search-space';
import { sklearnTrainTestSplit } from '../../../src/model-runtime/split/sklearn-split';
import {
  InvalidModelArtifactError,
  MissingFeatureError,
  ModelDisposedError,
} from '../../../src/model-runtime/model-family';
import { XGBOOST_SEARCH_SPACE } from '../../../src/model-runtime/families/xgboost-search-space';
import { XgboostFamily } from '../../../src/model-runtime/families/xgboost.family';

const haveData = notebookDataAvailable();
if (!haveData) console.warn(`Skipping the xgboost specs: ${NOTEBOOK_CSV} is absent`);
const describeWithData = haveData ? describe : describe.skip;

describeWithData('XgboostFamily on the notebook data', () => {
  const family = new XgboostFamily();
  let train: PricedDiamond[] = [];
  let test: PricedDiamond[] = [];
  const actual = () => test.map((row) => row.price);

  beforeAll(() => {
    ({ train, test } = sklearnTrainTestSplit(loadNotebookDiamonds(), {
      testSize: 0.2,
      randomState: 42,
    }));
  });

  it('fits XGBoost defaults as well as the notebook did (MAE about 342-355)', async () => {
    const result = await family.train(train, { seed: 42, trials: 0 });
    try {
      const metrics = regressionMetrics(actual(), await result.model.predict(test));
      expect(metrics.mae).toBeGreaterThan(330);
      expect(metrics.mae).toBeLessThan(356);
      expect(metrics.r2).toBeGreaterThan(0.955);
      expect(result.params).toMatchObject({
        n_estimators: 100,
        max_depth: 6,
        learning_rate: 0.3,
        tree_method: 'hist',
      });
      expect(result.trials).toEqual([]);
    } finally {
      result.model.dispose();
    }
  });

  it('loads back a model that predicts bit for bit the same', async () => {
    const { model } = await family.train(train, { seed: 42, trials: 0 });
    const artifact = model.serialize();
    const loaded = await family.load(artifact);
    try {
      const before = await model.predict(test);
      const after = await loaded.predict(test);
      expect(after.every((price, i) => Object.is(price, before[i]))).toBe(true);
      expect(loaded.serialize().equals(artifact)).toBe(true);
      expect(loaded.params).toEqual(model.params);
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });

  it('prices diamonds with missing measurements close to their full price', async () => {
    const { model } = await family.train(train, { seed: 42, trials: 0 });
    try {
      const withoutSizes: DiamondFeatures[] = test.map((row) => ({
        ...row,
        depth: null,
        table: null,
        x: null,
        y: null,
        z: null,
      }));
      const full = regressionMetrics(actual(), await model.predict(test));
      const partial = await model.predict(withoutSizes);
      const metrics = regressionMetrics(actual(), partial);
      const bias = partial.reduce((sum, price, i) => sum + price - test[i].price, 0) / test.length;
      expect(metrics.mae).toBeLessThan(full.mae * 1.15);
      expect(Math.abs(bias)).toBeLessThan(150);
    } finally {
      model.dispose();
    }
  });

  it('tunes to the notebook range with a small seeded search', async () => {
    const seen: number[] = [];
    // Seed 4, one worker: a deterministic 12-trial search (10 random start-up trials, then TPE),
    // on the notebook's nine columns (derived features do better than its range).
    const result = await family.train(train, {
      seed: 4,
      trials: 12,
      concurrency: 1,
      featureSet: 'columns-v1',
      onTrial: (t) => seen.push(t.number),
    });
    try {
      const metrics = regressionMetrics(actual(), await result.model.predict(test));
      expect(metrics.mae).toBeGreaterThan(336);
      expect(metrics.mae).toBeLessThan(356);
      expect(result.trials.map((t) => t.number)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect([...seen].sort((a, b) => a - b)).toEqual(result.trials.map((t) => t.number));
      expect(result.trials.some((t) => t.state === 'pruned')).toBe(true);
      expect(result.trials.every((t) => containsParams(XGBOOST_SEARCH_SPACE, t.params))).toBe(true);
      const best = result.trials
        .filter((t) => t.state === 'complete')
        .reduce((a, b) => ((a.value as number) <= (b.value as number) ? a : b));
      expect(result.params).toMatchObject(best.params);
      expect(result.searchMs).toBeGreaterThan(0);
    } finally {
      result.model.dispose();
    }
  });
});

describe('XgboostFamily', () => {
  const family = new XgboostFamily();
  const rows: PricedDiamond[] = Array.from({ length: 80 }, (_, i) => {
    const carat = 0.3 + (i % 16) * 0.1;
    return {
      carat,
      cut: (['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'] as const)[i % 5],
      color: (['J', 'I', 'H', 'G', 'F', 'E', 'D'] as const)[i % 7],
      clarity: (['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'] as const)[i % 8],
      depth: 60 + (i % 4),
      table: 55 + (i % 3),
      x: 4 + carat * 2,
      y: 4.02 + carat * 2,
      z: 2.5 + carat,
      price: Math.round(400 * Math.exp(1.6 * carat) * (1 + (i % 5) * 0.05)),
    };
  });

  it('declares what it needs', () => {
    expect(family).toMatchObject({
      name: 'xgboost',
      searchable: true,
      requiredFeatures: ['carat'],
    });
    expect(family.features).toHaveLength(9);
  });

  it('needs carat, refuses unknown categories, and stops once disposed', async () => {
    const { model } = await family.train(rows, { seed: 1, trials: 0 });
    await expect(model.predict([{ ...rows[0], carat: null as unknown as number }])).rejects.toThrow(
      MissingFeatureError,
    );
    await expect(
      model.predict([{ ...rows[0], cut: 'Superb' as DiamondFeatures['cut'] }]),
    ).rejects.toThrow('cut');
    expect(await model.predict([])).toEqual([]);
    model.dispose();
    model.dispose();
    await expect(model.predict(rows)).rejects.toThrow(ModelDisposedError);
  });

  it('refuses artifacts of another family', async () => {
    const { model } = await family.train(rows, { seed: 1, trials: 0 });
    const artifact = model.serialize();
    model.dispose();
    const { XgboostLogFamily } =
      await import('../../../src/model-runtime/families/xgboost-log.family');
    await expect(new XgboostLogFamily().load(artifact)).rejects.toThrow(InvalidModelArtifactError);
  });
});
