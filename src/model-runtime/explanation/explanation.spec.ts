import { DiamondFeatures } from '../../diamonds/diamond-vocabulary';
import { encodeArtifact, readArtifact } from '../model-artifact';
import { ExplanationUnavailableError, FittedModel } from '../model-family';
import { LinearFamily } from '../families/linear.family';
import { BLEND_PART_PARAMS, XgboostBlendFamily } from '../families/xgboost-blend.family';
import { XgboostLogFamily } from '../families/xgboost-log.family';
import { XgboostFamily } from '../families/xgboost.family';
import {
  Explanation,
  logAttributionToUsd,
  measurementSources,
  toServedExplanation,
} from './explanation';
import { bundledRows } from '../../../test/support/bundled-rows';

const rows = bundledRows(400);
const train = rows.slice(0, 360);
/** Complete rows, and the same diamonds with measurements left out (trees estimate them). */
const asked: DiamondFeatures[] = [
  ...rows.slice(360, 372),
  { ...rows[372], x: null, y: null, z: null, depth: null, table: null },
  { ...rows[373], y: null, z: null },
  { ...rows[374], x: null, depth: null },
];
const quick = { ...BLEND_PART_PARAMS, learning_rate: 0.3, n_estimators: 40 };

function expectSumRule(explanations: Explanation[], prices: number[]): void {
  expect(explanations).toHaveLength(prices.length);
  explanations.forEach((explanation, i) => {
    expect(explanation.price).toBe(prices[i]);
    const total = explanation.contributions.reduce((s, c) => s + c.effect, explanation.baseline);
    expect(Math.abs(total - prices[i])).toBeLessThan(1e-6);
    expect(explanation.baseline).toBeGreaterThan(0);
  });
}

describe('explanations: baseline + sum(effect) = price, on every family', () => {
  const models: FittedModel[] = [];
  afterAll(() => models.forEach((model) => model.dispose()));

  it.each([
    ['xgboost', () => new XgboostFamily(), { fixedParams: quick }],
    ['xgboost-log', () => new XgboostLogFamily(), { fixedParams: quick }],
    [
      'xgboost-blend',
      () => new XgboostBlendFamily(),
      { fixedParams: { priceWeight: 0.3, seeds: [3, 4], price: quick, logPrice: quick } },
    ],
  ] as const)('%s, one diamond and a batch', async (_name, make, options) => {
    const { model } = await make().train(train, { seed: 3, trials: 0, ...options });
    models.push(model);
    const prices = await model.predict(asked);
    expectSumRule(await model.explain(asked), prices);
    expectSumRule(await model.explain(asked.slice(0, 1)), prices.slice(0, 1));
    const [full] = await model.explain(asked.slice(0, 1));
    expect(full.contributions.map((c) => c.feature)).toEqual([
      'carat',
      'cut',
      'color',
      'clarity',
      'depth',
      'table',
      'x',
      'y',
      'z',
    ]);
    expect(full.contributions[1].value).toBe(asked[0].cut);
    // x, y and z not sent: their estimates' effects are carat's; depth and table keep theirs.
    const [bare] = await model.explain([asked[12]]);
    const line = (feature: string) => bare.contributions.find((c) => c.feature === feature)!;
    for (const feature of ['x', 'y', 'z']) {
      expect(line(feature)).toEqual({ feature, value: null, effect: 0 });
    }
    expect(line('carat').effect).not.toBe(0);
    // A reloaded model explains the same way.
    const loaded = await make().load(model.serialize());
    models.push(loaded);
    expect(await loaded.explain(asked)).toEqual(await model.explain(asked));
  });

  it('linear: coefficient × (value − training mean) in log space, one-hot grades folded', async () => {
    const { model } = await new LinearFamily().train(train, { seed: 1, trials: 0 });
    const complete = asked.slice(0, 12);
    const prices = await model.predict(complete);
    const explanations = await model.explain(complete);
    expectSumRule(explanations, prices);
    expect(explanations[0].contributions.map((c) => c.feature)).toEqual([
      'carat',
      'cut',
      'color',
      'clarity',
      'x',
    ]);
    // Two diamonds that differ only in clarity: in log space only clarity's effect differs.
    const a = { ...complete[0], clarity: 'SI2' as const };
    const b = { ...complete[0], clarity: 'VVS1' as const };
    const [ea, eb] = await model.explain([a, b]);
    expect(ea.baseline).toBeCloseTo(eb.baseline, 9);
    const logEffects = (e: Explanation) =>
      e.contributions.map(
        (c) => c.effect / ((e.price - e.baseline) / Math.log(e.price / e.baseline)),
      );
    const [la, lb] = [logEffects(ea), logEffects(eb)];
    [0, 1, 2, 4].forEach((i) => expect(la[i]).toBeCloseTo(lb[i], 9));
    expect(lb[3] - la[3]).toBeCloseTo(Math.log(eb.price / ea.price), 9);

    // An artifact from before explanations (no training means) still prices, and says why it
    // cannot explain.
    const { header, body } = readArtifact(model.serialize());
    delete header.means;
    const old = await new LinearFamily().load(encodeArtifact(header, body));
    expect(await old.predict(complete)).toEqual(prices);
    await expect(old.explain(complete)).rejects.toThrow(ExplanationUnavailableError);
  });
});

describe('the USD mapping', () => {
  it('keeps signs and adds up to p − b exactly', () => {
    const phi = Float64Array.from([0.4, -0.1, 0.05]);
    const bias = Math.log(3000);
    const price = Math.exp(bias + 0.35);
    const { baseline, effects } = logAttributionToUsd(bias, phi, price);
    expect(baseline).toBeCloseTo(3000, 9);
    expect(effects[0]).toBeGreaterThan(0);
    expect(effects[1]).toBeLessThan(0);
    expect(effects.reduce((s, v) => s + v, baseline)).toBeCloseTo(price, 9);
    const scale = (price - 3000) / 0.35;
    effects.forEach((effect, i) => expect(effect).toBeCloseTo(phi[i] * scale, 9));
  });

  it('folds estimated measurements onto what they were estimated from', () => {
    const base = { carat: 1, cut: 'Ideal', color: 'G', clarity: 'VS1' } as const;
    const none = { ...base, depth: null, table: null, x: null, y: null, z: null };
    expect(measurementSources(none)).toMatchObject({ x: 'carat', y: 'carat', z: 'carat' });
    expect(measurementSources({ ...none, y: 6, depth: 61 })).toMatchObject({
      x: 'y',
      y: 'y',
      z: 'depth',
      depth: 'depth',
    });
    expect(measurementSources({ ...none, x: 6, z: 3.6 })).toMatchObject({
      y: 'x',
      depth: 'z',
    });
  });
});

describe('the explanation as served', () => {
  const explanation = {
    price: 4210.456,
    baseline: 3900.123,
    contributions: [
      { feature: 'carat', value: 0.9, effect: 500.111 },
      { feature: 'clarity', value: 'SI2', effect: -189.778 },
    ],
  };

  it('is in whole cents that add up exactly to the price served', () => {
    const served = toServedExplanation(explanation, { price: 4210.456, clamped: false }, 4210.46);
    expect(served.baseline).toBe(3900.12);
    const cents = served.contributions.map((c) => Math.round(c.effect * 100));
    expect(cents.reduce((s, v) => s + v, 3900_12)).toBe(4210_46);
    expect(served.contributions.map((c) => c.feature)).toEqual(['carat', 'clarity']);
    expect(served.contributions[1].value).toBe('SI2');
  });

  it('adds a clamp line when the clamp held the price', () => {
    const served = toServedExplanation(explanation, { price: 4000, clamped: true }, 4000);
    expect(served.contributions.at(-1)).toEqual({ feature: 'clamp', value: null, effect: -210.45 });
    const total = served.contributions.reduce((s, c) => s + Math.round(c.effect * 100), 3900_12);
    expect(total).toBe(4000_00);
  });
});
