import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TreeShap } from './tree-shap';
import { XgboostTrees } from './xgboost-trees';

interface Fixture {
  missing: number;
  booster: string;
  rows: number[][];
  predictions: number[];
  contribs: number[][];
}

/** Made by scripts/tree-shap-fixture.ts and .py: XGBoost 1.7's own pred_contribs. */
const fixture = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/tree-shap/fixture.json'), 'utf8'),
) as Fixture;

describe('TreeShap (exact tree SHAP on the raw trees)', () => {
  const bytes = new Uint8Array(Buffer.from(fixture.booster, 'base64'));
  const shap = TreeShap.fromModelBytes(bytes);
  const trees = XgboostTrees.fromModelBytes(bytes);

  it("equals the Python xgboost package's pred_contribs on the same booster", () => {
    expect(fixture.rows.some((row) => row.includes(fixture.missing))).toBe(true);
    fixture.rows.forEach((row, r) => {
      const { bias, phi } = shap.explainRow(Float32Array.from(row), 0, fixture.missing);
      const expected = fixture.contribs[r];
      expect(bias).toBeCloseTo(expected[expected.length - 1], 5);
      Array.from(phi).forEach((value, f) => expect(value).toBeCloseTo(expected[f], 5));
    });
  });

  it('adds up to the raw prediction of the JS trees', () => {
    const values = Float32Array.from(fixture.rows.flat());
    const cols = fixture.rows[0].length;
    const raw = trees.predict(values, fixture.rows.length, cols, fixture.missing);
    fixture.rows.forEach((_, r) => {
      const { bias, phi } = shap.explainRow(values, r * cols, fixture.missing);
      const total = phi.reduce((sum, value) => sum + value, bias);
      expect(total).toBeCloseTo(raw[r], 5);
      expect(total).toBeCloseTo(fixture.predictions[r], 5);
    });
  });
});
