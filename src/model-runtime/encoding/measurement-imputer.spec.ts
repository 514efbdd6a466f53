import { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { fitMeasurementImputation, imputeMeasurements } from './measurement-imputer';

const rows: PricedDiamond[] = [0.3, 0.5, 0.7, 1, 1.5, 2].map((carat) => {
  const x = 6.4 * Math.cbrt(carat);
  return {
    carat,
    cut: 'Ideal',
    color: 'G',
    clarity: 'VS1',
    depth: 61.5,
    table: 56,
    price: 4000 * carat,
    x,
    y: x * 1.01,
    z: 0.615 * ((x + x * 1.01) / 2),
  };
});

describe('measurement imputation', () => {
  const imputation = fitMeasurementImputation(rows);

  it('leaves complete rows untouched', () => {
    expect(imputeMeasurements(rows[2], imputation)).toBe(rows[2]);
  });

  it('fills sizes from carat, y from x and z from depth', () => {
    const filled = imputeMeasurements({ ...rows[3], x: null, y: null, z: null }, imputation);
    expect(filled.x).toBeCloseTo(rows[3].x, 6);
    expect(filled.y).toBeCloseTo(rows[3].y, 6);
    expect(filled.z).toBeCloseTo(rows[3].z, 6);
    expect(imputeMeasurements({ ...rows[3], y: null }, imputation).y).toBeCloseTo(
      rows[3].x * 1.01,
      6,
    );
  });

  it('derives depth from z and the girdle, and falls back to medians', () => {
    expect(imputeMeasurements({ ...rows[1], depth: null }, imputation).depth).toBeCloseTo(61.5, 6);
    const bare = imputeMeasurements({ ...rows[1], depth: null, table: null, z: null }, imputation);
    expect(bare).toMatchObject({ depth: 61.5, table: 56 });
  });
});
