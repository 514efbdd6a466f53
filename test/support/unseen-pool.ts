import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PricedDiamond } from '../../src/diamonds/diamond-vocabulary';
import { cleanLikeNotebook, readDiamondsCsv } from './notebook-data';

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

export function poolAvailable(file = POOL_CSV): boolean {
  return existsSync(file);
}

const dataLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.length > 0);

/**
 * Pool rows whose text is in none of the repository's data files (rows no training here saw),
 * cleaned like the notebook (zero dimension or no price left out), in pool order.
 */
export function unseenPoolRows(file = POOL_CSV): { rows: PricedDiamond[]; dropped: number } {
  const used = new Set(POOL_SAMPLES.flatMap(dataLines));
  const lines = dataLines(file);
  const parsed = readDiamondsCsv(file);
  if (parsed.length !== lines.length) throw new Error('The pool has multi-line records');
  const unseen = parsed.filter((_, i) => !used.has(lines[i]));
  const rows = cleanLikeNotebook(unseen);
  return { rows, dropped: unseen.length - rows.length };
}
