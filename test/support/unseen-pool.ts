/**
 * The pool rows neither the bundled dataset nor the demo batches drew (see data/README.md and
 * scripts/sample-pool.js): the same seeded Fisher-Yates shuffle, every shuffled row past the
 * first 8,000. The service never saw them, so they measure how it prices new diamonds. One
 * definition for the tests and the benchmarks.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PricedDiamond } from '../../src/diamonds/diamond-vocabulary';
import { mulberry32 } from '../../src/common/seeded-random';
import { validateRow } from '../../src/diamonds/diamond-row.validator';
import { sharedFileAvailable } from './shared-data';

const ROOT = path.resolve(__dirname, '..', '..');

/** The shared public pool the bundled data and the demo batches were drawn from. */
export const POOL_CSV =
  process.env.POOL_CSV ?? path.resolve(ROOT, '..', 'shared', 'data', 'ggplot2-diamonds-pool.csv');

/** The files of the repository drawn from the pool (see data/README.md). */
export const POOL_SAMPLES = [
  'data/diamonds.csv',
  'data/batches/batch-001.csv',
  'data/batches/batch-002.csv',
  'data/batches/batch-003.csv',
].map((file) => path.join(ROOT, file));

/** True when the pool is here; says so when it is not, and throws in CI (CI=true). */
export function poolAvailable(file = POOL_CSV): boolean {
  return sharedFileAvailable(file, 'the tests on unseen pool rows are skipped');
}

const SAMPLE_SEED = 2008;
const USED_ROWS = 5000 + 3 * 1000;

export interface UnseenPool {
  /** Valid unseen rows, in pool order. */
  rows: PricedDiamond[];
  /** 0-based line numbers in the pool file (header = line 0) of `rows`, for other tools. */
  lines: number[];
  /** Unseen rows the service's validation would refuse (left out). */
  refused: number;
}

/** Reads the pool and returns the rows scripts/sample-pool.js never handed out. */
export function unseenPoolRows(poolCsv = POOL_CSV): UnseenPool {
  const lines = readFileSync(poolCsv, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.length > 0);
  const [header, ...rows] = lines;
  const order = rows.map((_, i) => i);
  const random = mulberry32(SAMPLE_SEED);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const unseen = order.slice(USED_ROWS).sort((a, b) => a - b);
  const columns = header.split(',');
  const columnIndex = Object.fromEntries(columns.map((name, i) => [name, i]));
  const out: UnseenPool = { rows: [], lines: [], refused: 0 };
  for (const i of unseen) {
    // The pool is plain CSV: no quoted commas.
    const verdict = validateRow(rows[i].split(','), columnIndex, columns.length);
    if (verdict.ok) {
      out.rows.push(verdict.diamond);
      out.lines.push(i + 1);
    } else out.refused++;
  }
  return out;
}
