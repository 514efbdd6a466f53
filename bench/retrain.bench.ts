/**
 * Retraining on fresh data, replayed: `npm run bench:retrain`.
 *
 * Issue 20's cases through the production pipeline (fresh SQLite, the CLI context, default
 * settings) on pool rows the service never saw (test/support/unseen-pool.ts), shuffled with a
 * seeded generator: the first 10,000 are the yardstick, the rest give the batches.
 *   1. The bundled data/diamonds.csv and a first run: the first-start champions (v1).
 *   2. Four fresh batches of 1,000, each checked against the default champion as it is ingested:
 *      fresh (representative), dear (every price ≥ 6,000 USD: a month of dearer stones, 1,000 of
 *      the rows next after the yardstick; the other batches come after its last row),
 *      tripled and halved (representative rows, prices × 3 and × 0.5: an export's slip).
 *      Prints the verdict, the rows judged, the share outside the 90 % range and the median
 *      log(actual/predicted).
 *   3. The fresh batch is retracted (so that the dear one is the news), and a second run (v2):
 *      per family the MAE of v1 and of v2 on the yardstick, and the gate's decision.
 * Env: BENCH_TRIALS (default 10, as the issue's run), BENCH_FAMILIES (comma list, default all),
 * BENCH_RETRAIN=0 (stop after the check), POOL_CSV.
 */
import 'reflect-metadata';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/common/seeded-random';
import { CSV_COLUMNS, PricedDiamond } from '../src/diamonds/diamond-vocabulary';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { embeddedWorkspace } from './embedded-workspace';
import { POOL_CSV, unseenPoolRows } from '../test/support/unseen-pool';

const trials = Number(process.env.BENCH_TRIALS ?? 10);
const families = process.env.BENCH_FAMILIES?.split(',').map((name) => name.trim());
/** BENCH_RETRAIN=0 stops after the batch check (one run instead of two). */
const retrain = process.env.BENCH_RETRAIN !== '0';
const YARDSTICK = 10_000;
const BATCH = 1_000;

const toCsv = (rows: readonly PricedDiamond[]) =>
  [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => r[c]).join(','))].join('\n') +
  '\n';
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);

async function main(): Promise<void> {
  const { work, dataDir } = embeddedWorkspace('retrain-bench');
  // Imported after the environment is set: the config is read when the modules load.
  const { createCliContext } = await import('../src/cli/cli-runner');
  const { loadConfig } = await import('../src/config/app-config');
  const { DiamondsService } = await import('../src/diamonds/diamonds.service');
  const { TrainingService } = await import('../src/training/training.service');
  const { RegistryService } = await import('../src/registry/registry.service');
  const { BatchPriceCheckService } =
    await import('../src/training/batch-check/batch-price-check.service');

  const unseen = unseenPoolRows(POOL_CSV).rows;
  const order = unseen.map((_, i) => i);
  const random = mulberry32(20);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const shuffled = order.map((i) => unseen[i]);
  const yardstick = shuffled.slice(0, YARDSTICK);
  const rest = shuffled.slice(YARDSTICK);
  const dear = rest.filter((r) => r.price >= 6000).slice(0, BATCH);
  // Representative rows: after the last dear one taken (before it, every dear row is taken).
  const ordinary = rest.slice(rest.indexOf(dear[dear.length - 1]) + 1);
  const batches: [string, PricedDiamond[]][] = [
    ['fresh', ordinary.slice(0, BATCH)],
    ['dear', dear],
    ['tripled', ordinary.slice(BATCH, 2 * BATCH).map((r) => ({ ...r, price: r.price * 3 }))],
    [
      'halved',
      ordinary
        .slice(2 * BATCH, 3 * BATCH)
        .map((r) => ({ ...r, price: Math.max(1, Math.round(r.price / 2)) })),
    ],
  ];
  console.log(
    `unseen pool rows ${unseen.length}: yardstick ${yardstick.length}, batches of ${BATCH}; trials ${trials}`,
  );

  const app = await createCliContext(loadConfig());
  try {
    const diamonds = app.get(DiamondsService);
    const training = app.get(TrainingService);
    const registry = app.get(RegistryService);
    const check = app.get(BatchPriceCheckService);
    const runOnce = async (label: string) => {
      const started = performance.now();
      const { runId } = await training.startRun('cli', { trials, families, actor: 'bench' });
      const run = await training.waitForRun(runId);
      if (run.status !== 'succeeded') throw new Error(`${label}: run ${run.status}: ${run.error}`);
      console.log(
        `${label}: run ${run.id} on ${run.rowCount} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return run;
    };

    await diamonds.ingestFile(path.join(dataDir, 'diamonds.csv'), 'bundled');
    await runOnce('v1 (bundled data)');
    const champion = (await registry.defaultChampion())!;
    console.log(`\nBatch check against the default champion ${champion.family} v1:\n`);
    console.log(
      '| batch | rows | judged | outside the 90 % range | median log(actual/predicted) | verdict |',
    );
    console.log('|---|---|---|---|---|---|');
    const ids: Record<string, number> = {};
    for (const [name, rows] of batches) {
      const file = path.join(work, `${name}.csv`);
      writeFileSync(file, toCsv(rows));
      ids[name] = (await diamonds.ingestFile(file, 'cli')).batchId;
      const c = (await check.check(ids[name]))!;
      console.log(
        `| ${name} | ${c.batchRows} | ${c.judgedRows} | ${pct(c.outsideShare)} | ${signed(c.medianLogRatio)} | ${c.verdict} |`,
      );
    }

    if (!retrain) return;
    await diamonds.retractBatch(ids.fresh, 'bench: the dear batch alone is the news', 'bench');
    const second = await runOnce('\nv2 (bundled + the dear batch)');
    console.log(`held out of the run: ${second.heldBatches!.map((h) => h.batchId).join(', ')}\n`);
    const actual = yardstick.map((r) => r.price);
    const mae = async (family: string, version: number) => {
      const model = await registry.loadModel((await registry.findVersion(family, version))!);
      try {
        return regressionMetrics(actual, await model.predict(yardstick), { sampleSize: 0 }).mae;
      } finally {
        model.dispose();
      }
    };
    console.log(
      `| family | v1 MAE on the ${yardstick.length.toLocaleString('en-US')} yardstick rows | v2 MAE | gate rows | gate: champion MAE → candidate MAE | decision |`,
    );
    console.log('|---|---|---|---|---|---|');
    let wrong = 0;
    for (const o of second.outcomes) {
      const [a, b] = [await mae(o.family, 1), await mae(o.family, o.version!)];
      const g = o.gate!;
      // Every promotion must be an improvement on the yardstick.
      if (g.promoted && b >= a) wrong++;
      console.log(
        `| ${o.family} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${g.rows} | ${g.championMae?.toFixed(1)} → ${g.candidateMae?.toFixed(1)} | ${g.promoted ? 'promoted' : 'kept'} |`,
      );
    }
    if (wrong) {
      console.log(`${wrong} promotion(s) made a family worse on the yardstick`);
      process.exitCode = 1;
    }
  } finally {
    await app.close();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
