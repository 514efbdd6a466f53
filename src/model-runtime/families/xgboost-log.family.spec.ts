import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { validateRow } from '../../diamonds/diamond-row.validator';
import { XgboostLogFamily } from './xgboost-log.family';
import { XGBOOST_LOG_FIRST_TRIALS } from './xgboost-search-space';

function bundledRows(limit: number): PricedDiamond[] {
  const [header, ...lines] = readFileSync(
    path.resolve(__dirname, '../../../data/diamonds.csv'),
    'utf8',
  )
    .split(/\r?\n/)
    .filter(Boolean);
  const columns = header.split(',');
  const index = Object.fromEntries(columns.map((name, i) => [name, i]));
  const rows: PricedDiamond[] = [];
  for (const line of lines) {
    const verdict = validateRow(line.split(','), index, columns.length);
    if (verdict.ok) rows.push(verdict.diamond);
    if (rows.length === limit) break;
  }
  return rows;
}

describe('XgboostLogFamily search', () => {
  it('tries its enqueued starting points (depth 5, then depth 6) before sampling, and keeps the better', async () => {
    expect(XGBOOST_LOG_FIRST_TRIALS.map((t) => t.max_depth)).toEqual([5, 6]);
    const result = await new XgboostLogFamily().train(bundledRows(80), {
      seed: 3,
      trials: 2,
      concurrency: 1,
    });
    try {
      expect(result.trials.map((t) => t.params)).toEqual([...XGBOOST_LOG_FIRST_TRIALS]);
      const [a, b] = result.trials.map((t) => t.value as number);
      expect(result.params).toMatchObject({ max_depth: a <= b ? 5 : 6, n_estimators: 1000 });
    } finally {
      result.model.dispose();
    }
  });
});
