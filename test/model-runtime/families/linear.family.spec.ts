import {
  loadNotebookDiamonds,
  NOTEBOOK_CSV,
  notebookDataAvailable,
} from '../../support/notebook-data';
import { regressionMetrics } from '../../../src/model-runtime/evaluation/regression-metrics';
import { sklearnTrainTestSplit } from '../../../src/model-runtime/split/sklearn-split';
import { LinearFamily } from '../../../src/model-runtime/families/linear.family';
import {
  InvalidModelArtifactError,
  MissingFeatureError,
  ModelDisposedError,
} from '../../../src/model-runtime/model-family';

const haveData = notebookDataAvailable();
if (!haveData) console.warn(`Skipping the linear parity specs: ${NOTEBOOK_CSV} is absent`);
const describeWithData = haveData ? describe : describe.skip;

describeWithData('LinearFamily on the notebook data', () => {
  const family = new LinearFamily();
  const { train, test } = haveData
    ? sklearnTrainTestSplit(loadNotebookDiamonds(), { testSize: 0.2, randomState: 42 })
    : { train: [], test: [] };

  it('reproduces the notebook: R2 0.9054, MAE 561.54', async () => {
    const result = await family.train(train, { seed: 42, trials: 0 });
    const metrics = regressionMetrics(
      test.map((row) => row.price),
      await result.model.predict(test),
    );
    expect(metrics.r2.toFixed(4)).toBe('0.9054');
    expect(metrics.mae.toFixed(2)).toBe('561.54');
    expect(result.trials).toEqual([]);
    expect(result.searchMs).toBe(0);
  });

  it('loads back a model that predicts bit for bit the same', async () => {
    const { model } = await family.train(train, { seed: 42, trials: 0 });
    const artifact = model.serialize();
    const loaded = await family.load(artifact);
    const before = await model.predict(test);
    const after = await loaded.predict(test);
    expect(after.every((price, i) => Object.is(price, before[i]))).toBe(true);
    expect(loaded.serialize().equals(artifact)).toBe(true);
    expect(loaded.params).toEqual(model.params);
  });
});

describe('LinearFamily', () => {
  const family = new LinearFamily();
  const rows = Array.from({ length: 60 }, (_, i) => {
    const carat = 0.3 + (i % 20) * 0.1;
    return {
      carat,
      cut: (['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'] as const)[i % 5],
      color: (['J', 'I', 'H', 'G', 'F', 'E', 'D'] as const)[i % 7],
      clarity: (['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'] as const)[i % 8],
      depth: 61.5,
      table: 57,
      x: 4 + carat * 2,
      y: 4 + carat * 2,
      z: 2.5 + carat,
      price: Math.round(400 * Math.exp(1.6 * carat) * (1 + (i % 5) * 0.05)),
    };
  });

  it('declares what it needs', () => {
    expect(family).toMatchObject({
      name: 'linear',
      searchable: false,
      requiredFeatures: ['carat', 'x'],
    });
  });

  it('needs carat and x, not the other measurements', async () => {
    const { model } = await family.train(rows, { seed: 1, trials: 0 });
    await expect(model.predict([{ ...rows[0], x: null }])).rejects.toThrow(MissingFeatureError);
    await expect(model.predict([{ ...rows[0], x: null }])).rejects.toThrow(
      expect.objectContaining({ feature: 'x', family: 'linear' }),
    );
    const [price] = await model.predict([
      { ...rows[0], depth: null, table: null, y: null, z: null },
    ]);
    expect(price).toBeGreaterThan(0);
  });

  it('refuses to predict once disposed', async () => {
    const { model } = await family.train(rows, { seed: 1, trials: 0 });
    model.dispose();
    model.dispose();
    await expect(model.predict(rows)).rejects.toThrow(ModelDisposedError);
  });

  it('refuses artifacts that are not linear models', async () => {
    await expect(family.load(Buffer.from('not a model'))).rejects.toThrow(
      InvalidModelArtifactError,
    );
    const { model } = await family.train(rows, { seed: 1, trials: 0 });
    const artifact = model.serialize();
    await expect(family.load(artifact.subarray(0, artifact.length - 8))).rejects.toThrow(
      InvalidModelArtifactError,
    );
  });
});
