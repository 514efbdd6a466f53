import type { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';

/** Numeric features whose training range is kept with a model version. */
const RANGED_FEATURES = ['carat', 'depth', 'table', 'x', 'y', 'z'] as const;
type RangedFeature = (typeof RANGED_FEATURES)[number];

interface Range {
  min: number;
  max: number;
}

/** What a model version was trained on: each feature's range and the prices it saw. */
export interface TrainingRanges {
  features: Record<RangedFeature, Range>;
  price: Range;
}

/** A feature of one diamond that lies outside the range the model was trained on. */
export interface OutsideTrainingRange {
  field: RangedFeature;
  value: number;
  trainedMin: number;
  trainedMax: number;
}

/**
 * How far past its training prices a model may answer: at most PRICE_BAND_FACTOR times the
 * highest and at least the lowest divided by it. Beyond, the price is clamped (and said so):
 * the notebook's linear model extrapolates exponentially, 1e54 USD for carat 10 and x 100 mm.
 */
const PRICE_BAND_FACTOR = 2;

export function computeTrainingRanges(rows: readonly PricedDiamond[]): TrainingRanges {
  const range = (pick: (r: PricedDiamond) => number): Range => {
    let min = Infinity;
    let max = -Infinity;
    for (const r of rows) {
      const v = pick(r);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  };
  const features = {} as Record<RangedFeature, Range>;
  for (const f of RANGED_FEATURES) features[f] = range((r) => r[f]);
  return { features, price: range((r) => r.price) };
}

/** Every sent feature of `row` outside its training range (missing features are not judged). */
export function outsideTrainingRanges(
  row: DiamondFeatures,
  ranges: TrainingRanges,
): OutsideTrainingRange[] {
  const out: OutsideTrainingRange[] = [];
  for (const field of RANGED_FEATURES) {
    const value = row[field];
    const r = ranges.features[field];
    if (value === null || value === undefined || !r) continue;
    if (value < r.min || value > r.max)
      out.push({ field, value, trainedMin: r.min, trainedMax: r.max });
  }
  return out;
}

/** The band of prices a model may answer: its training prices widened by PRICE_BAND_FACTOR. */
export function priceBand(ranges: TrainingRanges): Range {
  return {
    min: ranges.price.min / PRICE_BAND_FACTOR,
    max: ranges.price.max * PRICE_BAND_FACTOR,
  };
}

/** The price held inside the band; a non-finite prediction becomes the band's nearest end. */
export function clampToBand(price: number, band: Range): { price: number; clamped: boolean } {
  if (Number.isNaN(price)) return { price: band.min, clamped: true };
  if (price < band.min) return { price: band.min, clamped: true };
  if (price > band.max) return { price: band.max, clamped: true };
  return { price, clamped: false };
}
