import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { encodeTreeFeatures } from '../encoding/diamond-encoding';
import { checkedTrees } from '../families/xgboost-family.base';
import { PredictionThreads } from './prediction-threads';
import { XgboostLogFamily } from '../families/xgboost-log.family';
import { XGBOOST_FIRST_TRIAL } from '../families/xgboost-search-space';
import { Booster, DenseMatrix, loadXgboostRuntime, XGBOOST_MISSING } from './xgboost-runtime';
import { probeRows, UnsupportedXgboostModelError, XgboostTrees } from './xgboost-trees';

/** The bundled sample (data/diamonds.csv), every row as the trees read it. */
function bundledRows(): { rows: DiamondFeatures[]; prices: number[] } {
  const [head, ...lines] = readFileSync(join(__dirname, '../../../data/diamonds.csv'), 'utf8')
    .trim()
    .split(/\r?\n/);
  const names = head.split(',');
  const records = lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cells[i]]));
  });
  return {
    rows: records.map((r) => ({
      carat: Number(r.carat),
      cut: r.cut,
      color: r.color,
      clarity: r.clarity,
      depth: Number(r.depth),
      table: Number(r.table),
      x: Number(r.x),
      y: Number(r.y),
      z: Number(r.z),
    })) as DiamondFeatures[],
    prices: records.map((r) => Number(r.price)),
  };
}

/** Every third row loses a different measurement, so default directions are exercised. */
function withGaps(matrix: DenseMatrix): DenseMatrix {
  const values = matrix.values.slice();
  for (let r = 0; r < matrix.rows; r += 3) values[r * matrix.cols + 4 + (r % 5)] = XGBOOST_MISSING;
  return { ...matrix, values };
}

describe('XgboostTrees (XGBoost 0.7 models evaluated in JS)', () => {
  const { rows, prices } = bundledRows();
  const data = encodeTreeFeatures(rows, 'columns-v1');
  const labels = Float32Array.from(prices, (price) => Math.log(price));
  const boosters: Booster[] = [];

  async function fit(params: Record<string, number | string>, rounds: number, on = data) {
    const runtime = await loadXgboostRuntime();
    const booster = runtime.createBooster(on, labels, {
      objective: 'reg:linear',
      tree_method: 'hist',
      silent: 1,
      nthread: 1,
      base_score: 7.7,
      seed: 3,
      ...params,
    });
    booster.boost(rounds);
    boosters.push(booster);
    return booster;
  }

  afterAll(() => boosters.forEach((booster) => booster.free()));

  it.each([
    [
      'depth 6, subsampled (the served recipe)',
      { max_depth: 6, eta: 0.1, subsample: 0.8, colsample_bytree: 0.7 },
      150,
    ],
    ['depth 9 with uneven leaves', { max_depth: 9, eta: 0.3, min_child_weight: 40 }, 40],
    ['depth 3', { max_depth: 3, eta: 0.5 }, 20],
  ])('predicts bit for bit what XGBoost predicts: %s', async (_name, params, rounds) => {
    const booster = await fit(params, rounds);
    const trees = XgboostTrees.fromModelBytes(booster.save());
    expect(trees.treeCount).toBe(rounds);
    for (const matrix of [
      data,
      withGaps(data),
      { ...data, values: data.values.subarray(0, 18), rows: 2 },
    ]) {
      const expected = booster.predict(matrix);
      const actual = trees.predict(matrix.values, matrix.rows, matrix.cols, XGBOOST_MISSING);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
  });

  it('follows the learned default direction for values missing in training too', async () => {
    const booster = await fit({ max_depth: 5, eta: 0.3 }, 30, withGaps(data));
    const trees = XgboostTrees.fromModelBytes(booster.save());
    for (const matrix of [withGaps(data), data]) {
      const expected = booster.predict(matrix);
      const actual = trees.predict(matrix.values, matrix.rows, matrix.cols, XGBOOST_MISSING);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
  });

  it('agrees on probe rows that sit exactly on, just under and beyond every threshold', async () => {
    const booster = await fit({ max_depth: 6, eta: 0.2 }, 60);
    const trees = XgboostTrees.fromModelBytes(booster.save());
    const probe = probeRows(trees, 2000, XGBOOST_MISSING, 9);
    const onThreshold = Array.from({ length: 2000 * 9 }, (_, i) => probe[i]).filter((value, i) =>
      trees.thresholds(i % 9).includes(value),
    );
    expect(onThreshold.length).toBeGreaterThan(2000);
    const expected = booster.predict({ values: probe, rows: 2000, cols: 9 });
    expect(Array.from(trees.predict(probe, 2000, 9, XGBOOST_MISSING))).toEqual(
      Array.from(expected),
    );
  });

  it('answers for every trained and every loaded XGBoost model', async () => {
    const family = new XgboostLogFamily();
    const priced = rows
      .slice(0, 400)
      .map((row, i) => ({ ...row, price: prices[i] }) as PricedDiamond);
    const { model } = await family.train(priced, {
      seed: 5,
      trials: 0,
      fixedParams: { ...XGBOOST_FIRST_TRIAL, n_estimators: 40 },
    });
    const loaded = await family.load(model.serialize());
    try {
      expect((model as unknown as { evaluator: string }).evaluator).toBe('js-trees');
      expect((loaded as unknown as { evaluator: string }).evaluator).toBe('js-trees');
      expect(await loaded.predict(rows.slice(400, 900))).toEqual(
        await model.predict(rows.slice(400, 900)),
      );
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });

  it('shares a large batch with worker threads and gives the same answers', async () => {
    const booster = await fit({ max_depth: 6, eta: 0.1, subsample: 0.8 }, 80);
    const trees = XgboostTrees.fromModelBytes(booster.save());
    const matrix = { ...data, rows: 999, values: data.values.subarray(0, 999 * 9) };
    const expected = Array.from(booster.predict(matrix));
    const threads = new PredictionThreads(1);
    try {
      const parallel = threads.parallelSum();
      expect(parallel).toBeDefined();
      const before = threads.stats();
      expect(before.threads).toBe(1);
      const shared = await trees.predictAsync(matrix.values, 999, 9, XGBOOST_MISSING, parallel);
      expect(Array.from(shared)).toEqual(expected);
      // The worker answered its half itself (nothing was redone here).
      const after = threads.stats();
      expect(after.rowsShared - before.rowsShared).toBe(499);
      expect(after.sharesRedone).toBe(before.sharesRedone);
      // Rows with a missing value, and small batches, stay on this thread: the same answers.
      const gaps = withGaps(matrix);
      const withMissing = await trees.predictAsync(gaps.values, 999, 9, XGBOOST_MISSING, parallel);
      expect(Array.from(withMissing)).toEqual(Array.from(booster.predict(gaps)));
    } finally {
      await threads.stop();
    }
  });

  it('refuses bytes it does not know, naming why', async () => {
    const bytes = (await fit({ max_depth: 2 }, 3)).save();
    expect(() => XgboostTrees.fromModelBytes(bytes.subarray(0, bytes.length - 10))).toThrow(
      /Cannot read the XGBoost model: the bytes end inside/,
    );
    const otherObjective = bytes.slice();
    otherObjective.set(Buffer.from('reg:gamma!'), 136 + 8);
    expect(() => XgboostTrees.fromModelBytes(otherObjective)).toThrow(UnsupportedXgboostModelError);
    expect(() => XgboostTrees.fromModelBytes(new Uint8Array(40))).toThrow(
      UnsupportedXgboostModelError,
    );
    const trees = XgboostTrees.fromModelBytes(bytes);
    expect(() => trees.predict(new Float32Array(8), 1, 8, XGBOOST_MISSING)).toThrow(
      /9 features, got 8/,
    );
  });

  it('is used only when it agrees with the booster; otherwise the booster answers and a warning says why', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const a = await fit({ max_depth: 4, eta: 0.3 }, 10);
      const b = await fit({ max_depth: 4, eta: 0.3, seed: 99, subsample: 0.5 }, 10);
      expect(checkedTrees(a.save(), a, 'xgboost')).toBeInstanceOf(XgboostTrees);
      expect(warn).not.toHaveBeenCalled();
      expect(checkedTrees(a.save(), b, 'xgboost')).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/xgboost: the JS trees disagree with XGBoost on probe row \d+/),
      );
      expect(checkedTrees(new Uint8Array(12), a, 'xgboost-log')).toBeUndefined();
      expect(warn).toHaveBeenLastCalledWith(
        expect.stringMatching(/xgboost-log: Cannot read the XGBoost model/),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
