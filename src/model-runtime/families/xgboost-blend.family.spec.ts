import { regressionMetrics } from '../evaluation/regression-metrics';
import { stableHashSplit } from '../split';
import { decodeArtifact, encodeArtifact } from '../model-artifact';
import { FittedModel, InvalidModelArtifactError } from '../model-family';
import {
  BLEND_PART_PARAMS,
  BLEND_PRICE_WEIGHT,
  BLEND_SEEDS,
  describeBlend,
  XgboostBlendFamily,
} from './xgboost-blend.family';
import { XgboostLogFamily } from './xgboost-log.family';
import { PARALLEL_MIN_ROWS } from '../xgboost/xgboost-trees';
import { XgboostFamily } from './xgboost.family';
import { XgboostModel } from './xgboost-family.base';
import { PredictionThreads } from '../xgboost/prediction-threads';
import { bundledRows } from '../../../test/support/bundled-rows';

describe('XgboostBlendFamily', () => {
  const family = new XgboostBlendFamily();
  const { train, test } = stableHashSplit(bundledRows(500));

  it('prices as the weighted mean of price and log-price models over its seeds, and round-trips', async () => {
    // Fewer rounds than the default parts keep the spec quick; the mechanics are the same.
    const quick = { ...BLEND_PART_PARAMS, learning_rate: 0.3, n_estimators: 60 };
    const result = await family.train(train, {
      seed: 7,
      trials: 0,
      fixedParams: { priceWeight: 0.25, seeds: [7, 8, 9], price: quick, logPrice: quick },
    });
    expect(result.params).toMatchObject({ priceWeight: 0.25, seeds: [7, 8, 9] });
    const parts: FittedModel[] = [];
    try {
      const expected = new Array<number>(test.length).fill(0);
      for (const seed of result.params.seeds as number[]) {
        for (const [part, weight, params] of [
          [new XgboostFamily(), 0.25, result.params.price],
          [new XgboostLogFamily(), 0.75, result.params.logPrice],
        ] as const) {
          const { model } = await part.train(train, {
            seed,
            trials: 0,
            fixedParams: params as Record<string, unknown>,
          });
          parts.push(model);
          (await model.predict(test)).forEach((v, i) => (expected[i] += (weight / 3) * v));
        }
      }
      const blended = await result.model.predict(test);
      blended.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
      const actual = test.map((r) => r.price);
      expect(regressionMetrics(actual, blended).r2).toBeGreaterThan(0.9);

      const loaded = await family.load(result.model.serialize());
      expect(loaded.family).toBe('xgboost-blend');
      expect(await loaded.predict(test)).toEqual(blended);
      // The parts share one encoding of the rows: encoded once per prediction, not once a part.
      const encode = jest.spyOn(XgboostModel.prototype, 'encode');
      await loaded.predict(test);
      expect(encode).toHaveBeenCalledTimes(1);
      encode.mockRestore();
      // A batch large enough to be shared with worker threads: the same answers, in order.
      const threads = new PredictionThreads(1);
      const sharing = new XgboostBlendFamily(
        new XgboostFamily(threads),
        new XgboostLogFamily(threads),
      );
      const withThreads = await sharing.load(result.model.serialize());
      try {
        const many = [...test, ...test, ...test, ...test].slice(0, PARALLEL_MIN_ROWS + 9);
        expect(await withThreads.predict(many)).toEqual(await loaded.predict(many));
        expect(threads.stats().rowsShared).toBeGreaterThan(0);
      } finally {
        withThreads.dispose();
        await threads.stop();
      }
      // Missing measurements are estimated, as the XGBoost families do.
      expect(
        (
          await loaded.predict([
            {
              carat: 0.7,
              cut: 'Ideal',
              color: 'G',
              clarity: 'VS1',
              depth: null,
              table: null,
              x: null,
              y: null,
              z: null,
            },
          ])
        )[0],
      ).toBeGreaterThan(0);
      loaded.dispose();
      await expect(loaded.predict(test)).rejects.toThrow(/disposed/);

      // A refit with the chosen params on other rows keeps them.
      const refit = await family.train(test, { seed: 7, trials: 0, fixedParams: result.params });
      expect(refit.params.price).toMatchObject({
        learning_rate: (result.params.price as Record<string, unknown>).learning_rate,
      });
      refit.model.dispose();
    } finally {
      result.model.dispose();
      for (const model of parts) model.dispose();
    }
  });

  it('fits BLEND_SEEDS log-price seeds with its default weight and parameters, no price model at weight 0', async () => {
    const result = await family.train(train.slice(0, 40), { seed: 11, trials: 0 });
    try {
      expect(BLEND_PRICE_WEIGHT).toBe(0);
      expect(result.params).toMatchObject({
        priceWeight: 0,
        seeds: Array.from({ length: BLEND_SEEDS }, (_, i) => 11 + i),
        logPrice: { target: 'log-price', learning_rate: 0.03, n_estimators: 1000, max_depth: 5 },
        partsFrom: { logPrice: 'fixed' },
      });
      expect(result.params.price).toBeUndefined();
      // Only log-price parts are stored, one per seed, each weighing 1 / seeds; they load back.
      const artifact = result.model.serialize();
      const { header } = decodeArtifact(artifact, 'xgboost-blend');
      expect(header.parts).toEqual(
        Array.from({ length: BLEND_SEEDS }, () =>
          expect.objectContaining({ family: 'xgboost-log', weight: 1 / BLEND_SEEDS }),
        ),
      );
      const loaded = await family.load(artifact);
      try {
        expect(await loaded.predict(test)).toEqual(await result.model.predict(test));
        expect(loaded.params.price).toBeUndefined();
      } finally {
        loaded.dispose();
      }
    } finally {
      result.model.dispose();
    }
  });

  it("fits its parts with the parameters the run's searches chose, and a refit keeps them", async () => {
    const chosen = (learning_rate: number) => ({
      ...BLEND_PART_PARAMS,
      learning_rate,
      n_estimators: 30,
      max_depth: 4,
    });
    // The default weight (0) fits no price model: only the log-price search's choice is used.
    const logOnly = await family.train(train.slice(0, 60), {
      seed: 11,
      trials: 0,
      searched: { xgboost: chosen(0.2), 'xgboost-log': chosen(0.3) },
    });
    try {
      expect(logOnly.params).toMatchObject({
        logPrice: { target: 'log-price', learning_rate: 0.3, n_estimators: 30, max_depth: 4 },
        partsFrom: { logPrice: 'search' },
      });
      expect(logOnly.params.price).toBeUndefined();
      const refit = await family.train(train.slice(0, 80), {
        seed: 11,
        trials: 0,
        fixedParams: logOnly.params,
        searched: { 'xgboost-log': chosen(0.9) },
      });
      expect(refit.params).toMatchObject({ priceWeight: 0, logPrice: { learning_rate: 0.3 } });
      expect(refit.params.price).toBeUndefined();
      refit.model.dispose();
    } finally {
      logOnly.model.dispose();
    }
    // With a price weight (an older default's params), both parts are fitted and a refit keeps them.
    const result = await family.train(train.slice(0, 60), {
      seed: 11,
      trials: 0,
      fixedParams: { priceWeight: 0.1, seeds: [11], price: chosen(0.2), logPrice: chosen(0.3) },
    });
    try {
      expect(result.params).toMatchObject({
        price: { target: 'price', learning_rate: 0.2, n_estimators: 30, max_depth: 4 },
        logPrice: { target: 'log-price', learning_rate: 0.3, n_estimators: 30, max_depth: 4 },
      });
      const refit = await family.train(train.slice(0, 80), {
        seed: 11,
        trials: 0,
        fixedParams: result.params,
        searched: { xgboost: chosen(0.9) },
      });
      expect(refit.params).toMatchObject({ price: { learning_rate: 0.2 } });
      refit.model.dispose();
    } finally {
      result.model.dispose();
    }
  });

  it('describes itself from its settings, not from a sentence that a tuned constant leaves stale', () => {
    expect(describeBlend(0.25, 3, { learning_rate: 0.05, n_estimators: 600 })).toBe(
      'A 25/75 blend of XGBoost on price and XGBoost on log(price), each averaged over 3 seeds, ' +
        'with the parameters the xgboost and xgboost-log searches of the same run chose (without them: ' +
        'learning rate 0.05, 600 rounds); it prices diamonds with missing measurements.',
    );
    expect(describeBlend(0.1, 1, BLEND_PART_PARAMS)).toContain('10/90 blend');
    expect(describeBlend(0.1, 1, BLEND_PART_PARAMS)).toContain('over 1 seed,');
    expect(describeBlend(0, 2, BLEND_PART_PARAMS)).toBe(
      'XGBoost on log(price) averaged over 2 seeds, with the parameters the xgboost-log search of ' +
        'the same run chose (without it: learning rate 0.03, 1000 rounds, depth 5); it prices ' +
        'diamonds with missing measurements.',
    );
    expect(family.description).toBe(
      describeBlend(BLEND_PRICE_WEIGHT, BLEND_SEEDS, BLEND_PART_PARAMS),
    );
  });

  it('refuses an artifact that is not a blend, or a malformed one', async () => {
    const other = (await new XgboostFamily().train(train, { seed: 1, trials: 0 })).model;
    try {
      await expect(family.load(other.serialize())).rejects.toBeInstanceOf(
        InvalidModelArtifactError,
      );
      const broken = encodeArtifact(
        { family: 'xgboost-blend', priceWeight: 2, priceBytes: 3 },
        new Uint8Array(10),
      );
      await expect(family.load(broken)).rejects.toBeInstanceOf(InvalidModelArtifactError);
    } finally {
      other.dispose();
    }
  });
});
