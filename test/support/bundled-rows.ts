import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PricedDiamond } from '../../src/diamonds/diamond-vocabulary';
import { validateRow } from '../../src/diamonds/diamond-row.validator';

/** The bundled sample that ships with the service (5,000 rows). */
export const BUNDLED_CSV = path.resolve(__dirname, '../../data/diamonds.csv');

/**
 * The first `limit` rows of the bundled file that pass the ingestion's row validation, in file
 * order: the small training set of the model-runtime specs (enough for the trees, quick to fit).
 */
export function bundledRows(limit: number): PricedDiamond[] {
  const [header, ...lines] = readFileSync(BUNDLED_CSV, 'utf8').split(/\r?\n/).filter(Boolean);
  const columns = header.split(',');
  const index = Object.fromEntries(columns.map((name, i) => [name, i]));
  const rows: PricedDiamond[] = [];
  for (const line of lines) {
    if (rows.length === limit) break;
    const verdict = validateRow(line.split(','), index, columns.length);
    if (verdict.ok) rows.push(verdict.diamond);
  }
  return rows;
}
