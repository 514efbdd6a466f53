/**
 * In-process benchmark of the similar-diamonds index: build time on a 1,000,000-row synthetic
 * dataset, then p50/p99 query times for n = 5 and n = 100. `npm run bench:similar`.
 * Target (the issue): p50 under 1 ms for n = 5.
 */
import { performance } from 'node:perf_hooks';
import { CLARITIES, COLORS, CUTS } from '../src/diamonds/diamond-vocabulary';
import { IndexedDiamond, SimilarDiamondsIndex } from '../src/diamonds/similar-diamonds.index';
import { mulberry32 } from '../src/common/seeded-random';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 20_000);

/** A seeded generator, so every run measures the same data and queries. */
const rng = mulberry32;

const pick = <T>(random: () => number, values: readonly T[]): T =>
  values[Math.floor(random() * values.length)];
/** Carats like the real data: mostly under 1.5, rounded to 0.01 (so many equal carats and ties). */
const carat = (random: () => number) =>
  Math.max(
    0.2,
    Math.round(Math.exp(-0.5 + 0.6 * (random() + random() + random() - 1.5)) * 100) / 100,
  );

function synthetic(rows: number): IndexedDiamond[] {
  const random = rng(2008);
  const out: IndexedDiamond[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = carat(random);
    const x = Math.cbrt(c) * 6.4;
    out[i] = {
      id: i + 1,
      carat: c,
      cut: pick(random, CUTS),
      color: pick(random, COLORS),
      clarity: pick(random, CLARITIES),
      depth: 61.5,
      table: 57,
      x,
      y: x,
      z: x * 0.62,
      price: Math.round(4000 * c ** 1.8),
    };
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function timeQueries(
  index: SimilarDiamondsIndex,
  n: number,
): { p50: number; p99: number; max: number; mean: number } {
  const random = rng(42);
  const times: number[] = new Array(QUERIES);
  let sink = 0;
  for (let i = 0; i < QUERIES + 1000; i++) {
    const cut = pick(random, CUTS);
    const color = pick(random, COLORS);
    const clarity = pick(random, CLARITIES);
    const c = carat(random);
    const start = performance.now();
    const result = index.query(cut, color, clarity, c, n);
    const elapsed = performance.now() - start;
    sink += result.length;
    if (i >= 1000) times[i - 1000] = elapsed; // the first 1,000 warm the JIT up
  }
  if (sink === 0) throw new Error('no query found anything: the benchmark is broken');
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    mean: times.reduce((s, t) => s + t, 0) / times.length,
  };
}

function main(): void {
  const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(
    `Similar-diamonds index: ${ROWS.toLocaleString('en-US')} synthetic rows, ${QUERIES.toLocaleString('en-US')} timed queries each`,
  );
  const rows = synthetic(ROWS);
  const t0 = performance.now();
  const index = new SimilarDiamondsIndex(rows);
  const buildMs = performance.now() - t0;
  console.log(
    `build: ${buildMs.toFixed(0)} ms (${index.size.toLocaleString('en-US')} diamonds, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB)`,
  );
  let ok = true;
  for (const n of [5, 100]) {
    const r = timeQueries(index, n);
    console.log(
      `n=${String(n).padEnd(3)}  p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)}  mean ${fmt(r.mean)}  max ${fmt(r.max)}`,
    );
    if (n === 5 && r.p50 >= 1) ok = false;
  }
  console.log(ok ? 'target met: p50 < 1 ms for n = 5' : 'TARGET MISSED: p50 >= 1 ms for n = 5');
  process.exitCode = ok ? 0 : 1;
}

main();
