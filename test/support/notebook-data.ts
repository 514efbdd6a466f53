import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { sharedFileAvailable } from './shared-data';
import { isClarity, isColor, isCut, PricedDiamond } from '../../src/diamonds/diamond-vocabulary';

/** The client's export the notebook was built on (outside the repository, never copied in). */
export const NOTEBOOK_CSV =
  process.env.DIAMONDS_CSV ?? path.resolve(__dirname, '../../../shared/data/diamonds.csv');

/** True when the notebook's CSV is here; says so when it is not, and throws in CI (CI=true). */
export function notebookDataAvailable(file = NOTEBOOK_CSV): boolean {
  return sharedFileAvailable(file, 'the parity tests on the notebook data are skipped');
}

function measure(text: string): number {
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new Error(`Not a number: ${JSON.stringify(text)}`);
  return value;
}

/** Every row of the CSV, in file order, parsed but not cleaned. */
export function readDiamondsCsv(file = NOTEBOOK_CSV): PricedDiamond[] {
  const records = parse(readFileSync(file, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  }) as Record<string, string>[];
  return records.map((record, i) => {
    const { cut, color, clarity } = record;
    if (!isCut(cut) || !isColor(color) || !isClarity(clarity)) {
      throw new Error(`Row ${i + 2}: unknown category in ${JSON.stringify(record)}`);
    }
    return {
      carat: Number(record.carat),
      cut,
      color,
      clarity,
      depth: measure(record.depth),
      table: measure(record.table),
      price: Number(record.price),
      x: measure(record.x),
      y: measure(record.y),
      z: measure(record.z),
    };
  });
}

/** The notebook's cleaning: drop price <= 0 and x*y*z == 0, keep file order (4,989 rows). */
export function cleanLikeNotebook(rows: readonly PricedDiamond[]): PricedDiamond[] {
  return rows.filter((row) => row.price > 0 && (row.x ?? 0) * (row.y ?? 0) * (row.z ?? 0) !== 0);
}

export function loadNotebookDiamonds(file = NOTEBOOK_CSV): PricedDiamond[] {
  return cleanLikeNotebook(readDiamondsCsv(file));
}
