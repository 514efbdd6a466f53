/**
 * Makes test/fixtures/tree-shap/fixture.json, the reference the tree SHAP spec compares with
 * (src/model-runtime/xgboost/tree-shap.spec.ts). Not run by CI; run by hand when the fixture must
 * change:
 *
 *   npx ts-node --transpile-only scripts/tree-shap-fixture.ts    # booster + rows (this service)
 *   /usr/bin/python3 scripts/tree-shap-fixture.py                # pred_contribs (xgboost 1.7)
 *
 * Step one trains a small booster with the service's own XGBoost runtime on the first 400 rows of
 * data/diamonds.csv (log price, depth 5, 25 rounds, subsampled), saves its bytes and 40 rows (a
 * few with missing measurements, so default directions are exercised). Step two loads the same
 * bytes with the Python xgboost package and adds its `pred_contribs` and predictions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTreeFeatures } from '../src/model-runtime/encoding/diamond-encoding';
import { loadXgboostRuntime, XGBOOST_MISSING } from '../src/model-runtime/xgboost/xgboost-runtime';
import { DiamondFeatures } from '../src/diamonds/diamond-vocabulary';

const OUT = join(__dirname, '../test/fixtures/tree-shap/fixture.json');

async function main(): Promise<void> {
  const [head, ...lines] = readFileSync(join(__dirname, '../data/diamonds.csv'), 'utf8')
    .trim()
    .split(/\r?\n/);
  const names = head.split(',');
  const records = lines.slice(0, 400).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cells[i]]));
  });
  const rows = records.map((r) => ({
    carat: Number(r.carat),
    cut: r.cut,
    color: r.color,
    clarity: r.clarity,
    depth: Number(r.depth),
    table: Number(r.table),
    x: Number(r.x),
    y: Number(r.y),
    z: Number(r.z),
  })) as DiamondFeatures[];
  const data = encodeTreeFeatures(rows);
  const labels = Float32Array.from(records, (r) => Math.log(Number(r.price)));
  const runtime = await loadXgboostRuntime();
  const booster = runtime.createBooster(data, labels, {
    objective: 'reg:linear',
    tree_method: 'hist',
    silent: 1,
    nthread: 1,
    base_score: 7.7,
    seed: 5,
    max_depth: 5,
    eta: 0.3,
    subsample: 0.8,
    colsample_bytree: 0.8,
  });
  booster.boost(25);
  const bytes = booster.save();
  booster.free();
  const cols = data.cols;
  const sample: number[][] = [];
  for (let r = 0; r < 40; r++) {
    const values = Array.from(data.values.subarray(r * cols, (r + 1) * cols));
    // Every fourth row loses one measurement (columns 4..8 in turn).
    if (r % 4 === 3) values[4 + (((r / 4) % 5) | 0)] = XGBOOST_MISSING;
    sample.push(values);
  }
  writeFileSync(
    OUT,
    JSON.stringify(
      {
        about:
          'scripts/tree-shap-fixture.ts (booster, rows) then scripts/tree-shap-fixture.py (contribs)',
        missing: XGBOOST_MISSING,
        booster: Buffer.from(bytes).toString('base64'),
        rows: sample,
      },
      null,
      1,
    ) + '\n',
  );
  console.log(`wrote ${OUT}`);
}

void main();
