import { createHash } from 'node:crypto';
import { CSV_COLUMNS, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { pickRows, SplitResult } from './split.types';

interface StableHashSplitOptions {
  /** Share of rows that go to the holdout. Default 0.2. */
  testFraction?: number;
  /** Changes which rows are held out; keep it fixed for a dataset's lifetime. Default ''. */
  salt?: string;
}

/** The CSV's columns, in the CSV's order: the canonical form must never change, or rows change sides. */
const FIELDS = CSV_COLUMNS;

/** A row's content in one canonical text form: fixed column order, shortest round-trip numbers. */
export function canonicalDiamondKey(row: PricedDiamond): string {
  return FIELDS.map((field) => {
    const value = row[field];
    return value === null || value === undefined ? '' : String(value);
  }).join('|');
}

/** Position of a row in [0, 1), from the first 48 bits of sha256(salt + canonical content). */
function holdoutScore(row: PricedDiamond, salt = ''): number {
  const digest = createHash('sha256')
    .update(`${salt}${canonicalDiamondKey(row)}`)
    .digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export function isHoldoutRow(row: PricedDiamond, options: StableHashSplitOptions = {}): boolean {
  return holdoutScore(row, options.salt) < (options.testFraction ?? 0.2);
}

/**
 * The default train/holdout split. A row's side depends only on its own content, so a row in
 * the holdout stays there as the dataset grows, and duplicates never straddle the two sides.
 * Rows keep their input order on each side.
 */
export function stableHashSplit<T extends PricedDiamond>(
  rows: readonly T[],
  options: StableHashSplitOptions = {},
): SplitResult<T> {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  const trainIndices: number[] = [];
  const testIndices: number[] = [];
  rows.forEach((row, i) => {
    (holdoutScore(row, options.salt) < testFraction ? testIndices : trainIndices).push(i);
  });
  return pickRows(rows, trainIndices, testIndices);
}
