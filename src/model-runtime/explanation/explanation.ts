import { DiamondFeatures } from '../../diamonds/diamond-vocabulary';

/** A column of the diamond as a person typed it. */
export type TypedColumn = keyof DiamondFeatures;

/** What one column of this diamond adds to (or takes from) the baseline, in USD. */
export interface Contribution {
  /** A column a person typed (`carat`, `cut`, ... `z`); the pricing service adds `clamp`. */
  feature: string;
  /** The value sent (a grade or a number); null when the column was not sent. */
  value: number | string | null;
  effect: number;
}

/**
 * Why a model gave this price: `baseline + sum(contributions[].effect) = price` (USD, to float
 * precision). `baseline` is the model's expected output over its training rows (SHAP's base
 * value) in USD.
 */
export interface Explanation {
  /** The model's own answer for this diamond (what `predict` gives). */
  price: number;
  baseline: number;
  contributions: Contribution[];
}

/** One model's (or a blend part's) explanation: baseline and per-column effects in USD. */
export interface UsdAttribution {
  price: number;
  baseline: number;
  /** One per column of `columns`, in that order. */
  effects: Float64Array;
}

/**
 * Spreads `total` over `phi` in proportion to phi (their sum becomes `total` exactly, signs
 * kept); when the phis add up to (nearly) nothing, `fallbackScale` × phi instead.
 */
function scaleTo(phi: Float64Array, total: number, fallbackScale: number): Float64Array {
  const sum = phi.reduce((s, v) => s + v, 0);
  const scale = Math.abs(sum) > 1e-12 ? total / sum : fallbackScale;
  return phi.map((v) => v * scale);
}

/**
 * Log-price contributions (`bias + sum(phi) = ln(price)`) to USD: with b = exp(bias) and p the
 * price, effect = phi × (p − b) / (ln p − ln b). Signs are kept, the effects add up exactly to
 * p − b, and for a small change it is the first-order effect phi × b. `ln p − ln b` is taken as
 * sum(phi) (the same number, up to the float rounding of the model's own sum), so the sum holds
 * against the price the model actually served.
 */
export function logAttributionToUsd(
  bias: number,
  phi: Float64Array,
  price: number,
): UsdAttribution {
  const baseline = Math.exp(bias);
  return { price, baseline, effects: scaleTo(phi, price - baseline, baseline) };
}

/**
 * Price-scale contributions (`bias + sum(phi) = price`, USD already). The float rounding between
 * the float64 sum and the model's float32 answer (a fraction of a cent) is spread in proportion
 * to |phi| so the sum holds exactly.
 */
export function priceAttributionToUsd(
  bias: number,
  phi: Float64Array,
  price: number,
): UsdAttribution {
  const residual = price - bias - phi.reduce((s, v) => s + v, 0);
  const weight = phi.reduce((s, v) => s + Math.abs(v), 0);
  const effects = weight > 0 ? phi.map((v) => v + (residual * Math.abs(v)) / weight) : phi.slice();
  if (weight === 0 && effects.length > 0) effects[0] += residual;
  return { price, baseline: bias, effects };
}

/** A blend's attribution: its parts' baselines and effects, weighed as their prices are. */
export function weighAttributions(
  parts: readonly { weight: number; attribution: UsdAttribution }[],
  price: number,
): UsdAttribution {
  const size = parts[0]?.attribution.effects.length ?? 0;
  const effects = new Float64Array(size);
  let baseline = 0;
  for (const { weight, attribution } of parts) {
    baseline += weight * attribution.baseline;
    for (let i = 0; i < size; i++) effects[i] += weight * attribution.effects[i];
  }
  return { price, baseline, effects };
}

/** The attribution in the API's words: one contribution per column, with the value sent. */
export function toExplanation(
  columns: readonly TypedColumn[],
  row: DiamondFeatures,
  attribution: UsdAttribution,
): Explanation {
  return {
    price: attribution.price,
    baseline: attribution.baseline,
    contributions: columns.map((feature, i) => {
      const value = row[feature] as number | string | null | undefined;
      return {
        feature,
        value:
          value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? null : value,
        effect: attribution.effects[i],
      };
    }),
  };
}

const sent = (value: number | null | undefined): boolean =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * Where the effect of each measurement goes when the model read an estimate of it (see
 * `imputeMeasurements`): onto the column it was estimated from (x from y or carat, y from x or
 * carat, z from depth or the girdle), so only columns a person typed carry effects. depth and
 * table, when neither they nor z were sent, are set to the training median: they keep their own
 * line, with value null. A measurement that was sent maps to itself.
 */
export function measurementSources(row: DiamondFeatures): Record<TypedColumn, TypedColumn> {
  const x: TypedColumn = sent(row.x) ? 'x' : sent(row.y) ? 'y' : 'carat';
  const y: TypedColumn = sent(row.y) ? 'y' : x;
  const z: TypedColumn = sent(row.z) ? 'z' : sent(row.depth) ? 'depth' : x;
  const depth: TypedColumn = sent(row.depth) ? 'depth' : sent(row.z) ? 'z' : 'depth';
  return {
    carat: 'carat',
    cut: 'cut',
    color: 'color',
    clarity: 'clarity',
    depth,
    table: 'table',
    x,
    y,
    z,
  };
}

/** Adds each of `phi` (one per `columns`) onto the column its source names. */
export function foldOnto(
  columns: readonly TypedColumn[],
  phi: Float64Array,
  sourceOf: (column: TypedColumn) => TypedColumn,
): Float64Array {
  const folded = new Float64Array(columns.length);
  columns.forEach((column, i) => {
    const target = columns.indexOf(sourceOf(column));
    folded[target >= 0 ? target : i] += phi[i];
  });
  return folded;
}

/** An explanation as served: what the price answer carries. */
export interface ServedExplanation {
  baseline: number;
  contributions: Contribution[];
}

/**
 * `explanation` against the price served (`held`: the model's answer after the clamp, unrounded;
 * `served`: that rounded to the cent): when the clamp held the answer at the edge of the training
 * prices, a `clamp` line says by how much; then everything in whole cents, the
 * baseline rounded and the effects rounded so they add up exactly to `served − baseline`
 * (largest remainders), so a person adding the lines finds the price to the cent.
 */
export function toServedExplanation(
  explanation: Explanation,
  held: { price: number; clamped: boolean },
  served: number,
): ServedExplanation {
  const contributions = explanation.contributions.map((c) => ({ ...c }));
  if (held.clamped) {
    contributions.push({ feature: 'clamp', value: null, effect: held.price - explanation.price });
  }
  const baseline = Math.round(explanation.baseline * 100);
  const target = Math.round(served * 100) - baseline;
  const scaled = contributions.map((c) => c.effect * 100);
  const cents = scaled.map(Math.floor);
  let missing = target - cents.reduce((s, v) => s + v, 0);
  const order = scaled
    .map((value, i) => ({ i, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  // The exact sum of the scaled effects is target up to float error: `missing` is 0..n here;
  // any excess from rounding (served vs the unrounded price) goes to the largest lines.
  for (let k = 0; missing !== 0 && order.length > 0; k = (k + 1) % order.length) {
    const step = Math.sign(missing);
    cents[order[k].i] += step;
    missing -= step;
  }
  return {
    baseline: baseline / 100,
    contributions: contributions.map((c, i) => ({ ...c, effect: cents[i] / 100 })),
  };
}
