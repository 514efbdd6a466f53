import request from 'supertest';
import { CSV_COLUMNS, PricedDiamond } from '../../src/diamonds/diamond-vocabulary';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { RegistryService } from '../../src/registry/registry.service';
import { BatchPriceCheckService } from '../../src/training/batch-check/batch-price-check.service';
import { BatchDriftService } from '../../src/training/drift/batch-drift.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, train } from '../support/training-helpers';
import { poolAvailable, unseenPoolRows } from '../support/unseen-pool';

/**
 * The held-batch flow end to end on rows the service never saw (the unseen pool), linear family,
 * no search: a batch whose prices disagree with the champion's is held out of training with its
 * reason until an admin accepts it (then trained on) or retracts it (gone, rows in the ledger).
 */
const describeWithPool = poolAvailable() ? describe : describe.skip;

const csv = (rows: PricedDiamond[]) =>
  [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => r[c]).join(','))].join('\n') +
  '\n';

describeWithPool(`Held batches: the price check, accept, retract (${ENGINE})`, () => {
  const pool = poolAvailable() ? unseenPoolRows().rows : [];
  const ordinary = pool.slice(10_000, 10_800);
  const tripled = pool.slice(11_000, 11_300).map((r) => ({ ...r, price: r.price * 3 }));
  const halved = pool
    .slice(11_300, 11_600)
    .map((r) => ({ ...r, price: Math.max(1, Math.round(r.price / 2)) }));
  const fresh = pool.slice(11_600, 11_900);
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const upload = (body: string, filename: string) =>
    http()
      .post('/v1/admin/datasets')
      .query({ filename })
      .set(admin)
      .set('Content-Type', 'text/csv')
      .send(body);
  const run = () => train(t, { families: ['linear'], trials: 0 });
  /** The check runs at ingestion; waiting for it makes the test deterministic. */
  const checked = (batchId: number) => t.app.get(BatchPriceCheckService).check(batchId);
  const listed = async (batchId: number) =>
    (await http().get('/v1/admin/datasets').set(admin).expect(200)).body.find(
      (b: { id: number }) => b.id === batchId,
    );

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN });
  });
  afterAll(() => t?.close());

  it('holds a tripled batch with its reason, leaves it out of training, and trains on it once accepted', async () => {
    const first = (await upload(csv(ordinary), 'ordinary.csv').expect(201)).body.batchId;
    // No champion yet: not checked, and said so.
    expect(await checked(first)).toMatchObject({
      verdict: 'not-checked',
      reason: expect.stringMatching(/no champion yet/),
    });
    const v1 = await run();
    expect(v1).toMatchObject({ status: 'succeeded', rowCount: 800, heldBatches: [] });

    // An ordinary fresh batch passes.
    const passed = (await upload(csv(fresh), 'fresh.csv').expect(201)).body.batchId;
    expect(await checked(passed)).toMatchObject({
      verdict: 'passed',
      referenceFamily: 'linear',
      referenceVersion: 1,
    });
    await http().post(`/v1/admin/datasets/${passed}/retract`).set(admin).send({ reason: 'setup' });

    const slip = (await upload(csv(tripled), 'tripled.csv').expect(201)).body.batchId;
    const check = (await checked(slip))!;
    expect(check).toMatchObject({ verdict: 'held', batchRows: 300 });
    expect(check.medianLogRatio!).toBeGreaterThan(1);
    expect(check.outsideShare!).toBeGreaterThan(0.9);
    expect(check.reason).toMatch(/median log\(actual\/predicted\) \+1\.\d+ is beyond ±0\.1/);
    expect(await listed(slip)).toMatchObject({
      status: 'held',
      holdReason: check.reason,
      retractedAt: null,
    });

    const held = await run();
    expect(held.heldBatches).toEqual([
      {
        batchId: slip,
        reason: check.reason,
        rows: 300,
        judgedRows: check.judgedRows,
        outsideShare: check.outsideShare,
        medianLogRatio: check.medianLogRatio,
      },
    ]);
    // Out of both sides of the split, and the data hash is the first run's.
    expect(held).toMatchObject({ rowCount: 800, datasetHash: v1.datasetHash });
    const registry = t.app.get(RegistryService);
    expect((await registry.getVersion('linear', 2)).lineage.batchIds).toEqual([first]);
    const shown = await http().get(`/v1/admin/training-runs/${held.id}`).set(admin).expect(200);
    expect(shown.body.heldBatches[0]).toMatchObject({ batchId: slip, rows: 300 });
    // The dashboard's runs table names the batches a run held out.
    const dashboardRuns = (await http().get('/dashboard/data').expect(200)).body.runs;
    expect(
      dashboardRuns.map((r: { id: number; heldBatchIds: number[] }) => [r.id, r.heldBatchIds]),
    ).toEqual([
      [held.id, [slip]],
      [v1.id, []],
    ]);

    // Accepting: 404 unknown, 409 not held, 200 held; then it joins the next run.
    await http().post('/v1/admin/datasets/999/accept').set(admin).send({}).expect(404);
    const notHeld = await http()
      .post(`/v1/admin/datasets/${first}/accept`)
      .set(admin)
      .send({})
      .expect(409);
    expect(notHeld.body.details).toEqual([
      { field: 'batchId', rules: { held: expect.stringMatching(/is not held/) }, value: first },
    ]);
    await http().post(`/v1/admin/datasets/${slip}/accept`).expect(401);
    const accepted = await http()
      .post(`/v1/admin/datasets/${slip}/accept`)
      .set(admin)
      .send({ actor: 'alice' })
      .expect(200);
    expect(accepted.body).toMatchObject({ id: slip, status: 'active', holdReason: check.reason });
    expect(accepted.body.acceptedAt).not.toBeNull();
    await http().post(`/v1/admin/datasets/${slip}/accept`).set(admin).send({}).expect(409);

    const trained = await run();
    expect(trained).toMatchObject({ heldBatches: [], rowCount: 1100 });
    expect(trained.datasetHash).not.toBe(v1.datasetHash);
    expect((await registry.getVersion('linear', 3)).lineage.batchIds).toEqual([first, slip]);
  }, 60_000);

  it('a retracted held batch is gone from training, its rows kept and in the ledger; re-uploaded, it says how to restore it', async () => {
    const body = csv(halved);
    const half = (await upload(body, 'halved.csv').expect(201)).body.batchId;
    expect(await checked(half)).toMatchObject({ verdict: 'held' });
    await http()
      .post(`/v1/admin/datasets/${half}/retract`)
      .set(admin)
      .send({ reason: 'prices halved by the export', actor: 'alice' })
      .expect(200);
    expect(await listed(half)).toMatchObject({ status: 'retracted' });

    const after = await run();
    expect(after.heldBatches).toEqual([]);
    const v = await t.app.get(RegistryService).getVersion('linear', 4);
    expect(v.lineage.batchIds).not.toContain(half);
    expect(after.rowCount).toBe(1100);
    const ledger = await http().get('/v1/admin/datasets/retractions').set(admin).expect(200);
    expect(ledger.body[0]).toMatchObject({
      batchId: half,
      rowsRemoved: 300,
      reason: 'prices halved by the export',
      restoredAt: null,
    });
    // The rows stay stored for the record.
    expect(await t.app.get(DiamondsService).rowsOfBatches([half])).toHaveLength(300);

    const again = await upload(body, 'halved-again.csv').expect(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', batchId: half, accepted: 0 });
    expect(again.body.note).toBe(
      `batch ${half} is retracted (its rows are out of the dataset); to bring it back, POST /v1/admin/datasets/${half}/restore`,
    );

    // Restored, it is held again: the check's verdict stands until an admin accepts it.
    const restored = await http()
      .post(`/v1/admin/datasets/${half}/restore`)
      .set(admin)
      .send({ actor: 'bob' })
      .expect(200);
    expect(restored.body).toMatchObject({ batchId: half, restoredBy: 'bob' });
    expect(await listed(half)).toMatchObject({ status: 'held' });
    await http().post(`/v1/admin/datasets/${half}/restore`).set(admin).send({}).expect(409);
    const duplicate = await upload(body, 'halved-3.csv').expect(200);
    expect(duplicate.body.note).toMatch(
      new RegExp(`batch ${half} is held out of training .*POST /v1/admin/datasets/${half}/accept`),
    );
  }, 60_000);

  it("a 3-row upload's drift says too few rows to judge, never drifted", async () => {
    const few = (await upload(csv(pool.slice(12_000, 12_003)), 'three.csv').expect(201)).body
      .batchId;
    await t.app.get(BatchDriftService).assess(few);
    const drift = await http().get(`/v1/admin/datasets/${few}/drift`).set(admin).expect(200);
    expect(drift.body).toMatchObject({
      batchRows: 3,
      drifted: false,
      verdict: 'too-few-rows',
      batchStatus: 'active',
    });
    // The PSI of three rows is the empty bins, not drift.
    expect(drift.body.maxPsi).toBeGreaterThan(1);
    const dashboard = await http().get('/dashboard/data').expect(200);
    const marks = Object.fromEntries(
      dashboard.body.drift.map((d: { batchId: number; batchStatus: string; verdict: string }) => [
        d.batchId,
        `${d.batchStatus} ${d.verdict}`,
      ]),
    );
    expect(marks[few]).toBe('active too-few-rows');
  });
});
