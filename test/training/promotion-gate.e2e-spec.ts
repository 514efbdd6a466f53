import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/common/seeded-random';
import { CSV_COLUMNS, PricedDiamond } from '../../src/diamonds/diamond-vocabulary';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { RegistryService } from '../../src/registry/registry.service';
import { BatchPriceCheckService } from '../../src/training/batch-check/batch-price-check.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { train } from '../support/training-helpers';
import { poolAvailable, unseenPoolRows } from '../support/unseen-pool';

/**
 * The promotion gate end to end, on rows the service never saw (the unseen pool): both split
 * models scored on the candidate's holdout rows. A harder fresh batch that makes the models
 * better is promoted; a batch that makes them worse (noisy prices, a shifted price scale) is not.
 * Lean: the linear family (XGBoost behaves the same: docs/retraining.md), about 1,000 rows.
 */
const FAMILIES = ['linear'];
const describeWithPool = poolAvailable() ? describe : describe.skip;

describeWithPool(`Promotion gate on the same rows (${ENGINE})`, () => {
  const pool = poolAvailable() ? unseenPoolRows().rows : [];
  const dir = mkdtempSync(join(tmpdir(), 'gate-batches-'));
  let t: TestApp;
  let n = 0;

  /** Writes rows as a CSV batch and ingests it; returns its batch id. */
  async function ingest(rows: PricedDiamond[]): Promise<number> {
    const file = join(dir, `batch-${++n}.csv`);
    const lines = rows.map((r) => CSV_COLUMNS.map((c) => r[c]).join(','));
    writeFileSync(file, [CSV_COLUMNS.join(','), ...lines].join('\n') + '\n');
    return (await t.app.get(DiamondsService).ingestFile(file, 'cli')).batchId;
  }
  /**
   * The price check holds a batch whose prices disagree with the champion's; an admin accepts it
   * here, so that the gate is what keeps the worse model out.
   */
  async function heldThenAccepted(batchId: number): Promise<void> {
    expect(await t.app.get(BatchPriceCheckService).check(batchId)).toMatchObject({
      verdict: 'held',
    });
    await t.app.get(DiamondsService).acceptBatch(batchId, 'e2e');
  }
  const run = () => train(t, { families: FAMILIES, trials: 0 });

  // Disjoint slices of the unseen pool.
  const cheap = pool.filter((r) => r.price < 6000).slice(0, 500);
  const dear = pool.filter((r) => r.price >= 6000).slice(0, 500);
  const ordinary = pool.slice(10_000, 10_800);
  const more = pool.slice(11_000, 11_300);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => t.close());

  it('promotes the models a harder fresh batch (dearer diamonds) makes better on held-back rows', async () => {
    t = await createTestApp({});
    await ingest(cheap);
    const first = await run();
    expect(first.outcomes.map((o) => o.promoted)).toEqual([true]);
    await ingest(dear);
    const second = await run();
    // A champion that never saw a stone this dear cannot judge their prices: not held.
    expect(second.heldBatches).toEqual([]);
    expect(second.rowCount).toBe(cheap.length + dear.length);
    const registry = t.app.get(RegistryService);
    for (const o of second.outcomes) {
      const v2 = await registry.getVersion(o.family, 2);
      expect(o.gate).toMatchObject({
        basis: 'paired-bootstrap',
        championVersion: 1,
        rows: v2.metrics.holdoutRows,
        promoted: true,
      });
      expect(o.gate!.candidateMae!).toBeLessThan(o.gate!.championMae!);
      expect(v2.status).toBe('champion');
    }
  });

  it('promotes nothing from a batch that makes the models worse: noisy prices, or a shifted price scale', async () => {
    t = await createTestApp({});
    await ingest(ordinary);
    await run();
    const random = mulberry32(11);
    // Noise: each price multiplied by a factor between 1/3 and 3.
    const noise = await ingest(
      more.map((r) => ({
        ...r,
        price: Math.round(r.price * Math.exp((random() * 2 - 1) * Math.log(3))),
      })),
    );
    await heldThenAccepted(noise);
    const noisy = await run();
    const diamonds = t.app.get(DiamondsService);
    await diamonds.retractBatch(2, 'noise', 'e2e');
    // A shifted price scale: every price of the batch half as high again (a unit slip).
    await heldThenAccepted(
      await ingest(more.map((r) => ({ ...r, price: Math.round(r.price * 1.5) }))),
    );
    const shifted = await run();
    for (const r of [noisy, shifted]) {
      expect(r.heldBatches).toEqual([]);
      expect(r.rowCount).toBe(ordinary.length + more.length);
      for (const o of r.outcomes) {
        expect(o.gate).toMatchObject({
          basis: 'paired-bootstrap',
          championVersion: 1,
          promoted: false,
        });
      }
    }
  });

  it("ranks the default model on the same rows: every champion scored on the last run's holdout", async () => {
    t = await createTestApp({});
    await ingest(cheap);
    const first = await train(t, { families: ['linear', 'xgboost'], trials: 0 });
    const registry = t.app.get(RegistryService);
    const champions = await Promise.all(
      ['linear', 'xgboost'].map((family) => registry.getVersion(family, 1)),
    );
    for (const v of champions)
      expect(v.ranking).toMatchObject({
        trainingRunId: first.id,
        rows: v.metrics.holdoutRows,
        contentHash: first.datasetHash,
      });
    const best = champions.sort((a, b) => a.ranking!.mae - b.ranking!.mae)[0];
    expect(await registry.defaultChampion()).toMatchObject({
      family: best.family,
      version: best.version,
    });
    // A run of one family re-ranks every champion on its own holdout rows, trained or not.
    await ingest(dear);
    const second = await train(t, { families: ['linear'], trials: 0 });
    const linear = (await registry.findChampion('linear'))!;
    const xgboost = await registry.getVersion('xgboost', 1);
    const holdoutRows = (await registry.getVersion('linear', 2)).metrics.holdoutRows;
    expect(xgboost.ranking).toMatchObject({ trainingRunId: second.id, rows: holdoutRows });
    expect(xgboost.ranking!.rows).toBeGreaterThan(xgboost.metrics.holdoutRows);
    const linearRanking = (await registry.getVersion('linear', linear.version)).ranking!;
    expect(linearRanking).toMatchObject({ trainingRunId: second.id, rows: holdoutRows });
    expect((await registry.defaultChampion())!.family).toBe(
      linearRanking.mae < xgboost.ranking!.mae ? 'linear' : 'xgboost',
    );
  });
});
