import type { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import {
  clampToBand,
  computeTrainingRanges,
  outsideTrainingRanges,
  priceBand,
} from './training-ranges';

const row = (carat: number, x: number, price: number): PricedDiamond => ({
  carat,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: 61.5,
  table: 56,
  x,
  y: x,
  z: x * 0.6,
  price,
});

describe('training ranges', () => {
  const ranges = computeTrainingRanges([
    row(0.3, 4.2, 500),
    row(2.1, 8.4, 18000),
    row(1, 6.4, 5000),
  ]);

  it('keeps each feature range and the price range of the training rows', () => {
    expect(ranges.features.carat).toEqual({ min: 0.3, max: 2.1 });
    expect(ranges.features.x).toEqual({ min: 4.2, max: 8.4 });
    expect(ranges.features.depth).toEqual({ min: 61.5, max: 61.5 });
    expect(ranges.price).toEqual({ min: 500, max: 18000 });
  });

  it('names every sent field outside its range, and ignores missing ones', () => {
    expect(
      outsideTrainingRanges(
        { ...row(10, 100, 0), depth: null, table: null, y: null, z: null },
        ranges,
      ),
    ).toEqual([
      { field: 'carat', value: 10, trainedMin: 0.3, trainedMax: 2.1 },
      { field: 'x', value: 100, trainedMin: 4.2, trainedMax: 8.4 },
    ]);
    expect(outsideTrainingRanges(row(1, 6, 0), ranges)).toEqual([]);
  });

  it('holds a price inside half the lowest and twice the highest training price', () => {
    const band = priceBand(ranges);
    expect(band).toEqual({ min: 250, max: 36000 });
    expect(clampToBand(1e54, band)).toEqual({ price: 36000, clamped: true });
    expect(clampToBand(Infinity, band)).toEqual({ price: 36000, clamped: true });
    expect(clampToBand(0, band)).toEqual({ price: 250, clamped: true });
    expect(clampToBand(NaN, band)).toEqual({ price: 250, clamped: true });
    expect(clampToBand(4000, band)).toEqual({ price: 4000, clamped: false });
  });
});
