#!/usr/bin/env node
// Makes the bundled dataset and the demo batches from the public pool, reproducibly.
// Usage: node scripts/sample-pool.js [pool.csv]   (default ../shared/data/ggplot2-diamonds-pool.csv)
// Writes data/diamonds.csv (5,000 rows) and data/batches/batch-00{1,2,3}.csv (1,000 rows each),
// all disjoint, each row kept exactly as in the pool, in pool order.
const fs = require('node:fs');
const path = require('node:path');

const SEED = 2008;
const BUNDLED = 5000;
const BATCHES = 3;
const BATCH_SIZE = 1000;

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const root = path.resolve(__dirname, '..');
const pool =
  process.argv[2] ?? path.resolve(root, '..', 'shared', 'data', 'ggplot2-diamonds-pool.csv');
const lines = fs
  .readFileSync(pool, 'utf8')
  .split(/\r?\n/)
  .filter((l) => l.length > 0);
const [header, ...rows] = lines;
// Fisher-Yates on the row indices with a seeded generator.
const order = rows.map((_, i) => i);
const random = mulberry32(SEED);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const take = (from, count) =>
  order
    .slice(from, from + count)
    .sort((a, b) => a - b)
    .map((i) => rows[i]);
const write = (file, picked) =>
  fs.writeFileSync(path.join(root, file), [header, ...picked].join('\n') + '\n');

write('data/diamonds.csv', take(0, BUNDLED));
for (let b = 0; b < BATCHES; b++) {
  write(`data/batches/batch-00${b + 1}.csv`, take(BUNDLED + b * BATCH_SIZE, BATCH_SIZE));
}
console.log(
  `From ${rows.length} pool rows (seed ${SEED}): data/diamonds.csv ${BUNDLED} rows, ${BATCHES} batches of ${BATCH_SIZE}`,
);
