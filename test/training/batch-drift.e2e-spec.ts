import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { BatchDriftService } from '../../src/training/drift/batch-drift.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, BATCH, ingestBatch, train } from '../support/training-helpers';

/** A batch built to drift: only the stones of 1.2 ct and more of demo batch 3. */
function heavyStonesCsv(): string {
  const [header, ...rows] = readFileSync(BATCH(3), 'utf8').trim().split('\n');
  const carat = header.split(',').indexOf('carat');
  const heavy = rows.filter((r) => Number(r.split(',')[carat]) >= 1.2);
  const file = join(mkdtempSync(join(tmpdir(), 'drift-')), 'heavy-stones.csv');
  writeFileSync(file, [header, ...heavy].join('\n') + '\n');
  return file;
}

describe(`Batch drift (${ENGINE})`, () => {
  let t: TestApp;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN, DRIFT_PSI_THRESHOLD: '0.25' });
  });
  afterAll(() => t?.close());

  it('compares each new batch with the champion’s training rows and flags a drifted one in the next run, once', async () => {
    await ingestBatch(t, 1);
    // No champion yet: nothing to compare the first batch with.
    await http().get('/v1/admin/datasets/1/drift').set(admin).expect(404);
    const first = await train(t, { families: ['linear'], trials: 0 });
    expect(first.status).toBe('succeeded');
    expect(first.drift).toEqual({ threshold: 0.25, flagged: [] });

    const diamonds = t.app.get(DiamondsService);
    const drift = t.app.get(BatchDriftService);
    const same = await diamonds.ingestFile(BATCH(2), 'cli');
    const heavy = await diamonds.ingestFile(heavyStonesCsv(), 'cli');
    await drift.assess(same.batchId);
    await drift.assess(heavy.batchId);

    const stable = await http()
      .get(`/v1/admin/datasets/${same.batchId}/drift`)
      .set(admin)
      .expect(200);
    expect(stable.body).toMatchObject({
      batchId: same.batchId,
      reference: { family: 'linear', version: 1 },
      referenceRows: 1000,
      batchRows: 1000,
      threshold: 0.25,
      drifted: false,
      flaggedRunId: null,
    });
    expect(stable.body.maxPsi).toBeLessThan(0.1);
    expect(stable.body.features.map((f: { feature: string }) => f.feature)).toEqual([
      'carat',
      'depth',
      'table',
      'x',
      'y',
      'z',
      'price',
      'cut',
      'color',
      'clarity',
    ]);

    const drifted = await http()
      .get(`/v1/admin/datasets/${heavy.batchId}/drift`)
      .set(admin)
      .expect(200);
    expect(drifted.body.drifted).toBe(true);
    expect(drifted.body.maxPsi).toBeGreaterThan(1);
    expect(['carat', 'x', 'y', 'z', 'price']).toContain(drifted.body.maxPsiFeature);
    const carat = drifted.body.features.find((f: { feature: string }) => f.feature === 'carat');
    // Every heavy stone is at least 1.2 ct; the trained range starts far below.
    expect(carat.trainedRange[0]).toBeLessThan(0.5);
    expect(drifted.body.batchRows).toBe(heavy.accepted);

    const next = await train(t, { families: ['linear'], trials: 0 });
    expect(next.drift!.flagged).toEqual([
      {
        batchId: heavy.batchId,
        maxPsi: drifted.body.maxPsi,
        maxPsiFeature: drifted.body.maxPsiFeature,
        outsideShare: drifted.body.outsideShare,
      },
    ]);
    const run = await http().get(`/v1/admin/training-runs/${next.id}`).set(admin).expect(200);
    expect(run.body.drift.flagged[0].batchId).toBe(heavy.batchId);
    const after = await http()
      .get(`/v1/admin/datasets/${heavy.batchId}/drift`)
      .set(admin)
      .expect(200);
    expect(after.body.flaggedRunId).toBe(next.id);

    // Flagged once: the run after that has nothing new to say.
    expect((await train(t, { families: ['linear'], trials: 0 })).drift!.flagged).toEqual([]);

    const dashboard = await http().get('/dashboard/data').expect(200);
    expect(
      dashboard.body.drift.map((d: { batchId: number; drifted: boolean }) => [
        d.batchId,
        d.drifted,
      ]),
    ).toEqual([
      [heavy.batchId, true],
      [same.batchId, false],
    ]);
    await http().get('/v1/admin/datasets/99/drift').set(admin).expect(404);
    await http().get(`/v1/admin/datasets/${heavy.batchId}/drift`).expect(401);
  }, 120_000);
});
