import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { RegistryService } from '../../src/registry/registry.service';
import { TrainingScheduler } from '../../src/training/training.scheduler';
import { NIGHTLY_JOB } from '../../src/nightly/nightly.scheduler';
import { TrainingService } from '../../src/training/training.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, BATCH, dropBatch, ingestBatch } from '../support/training-helpers';

const until = async (check: () => Promise<boolean>, timeoutMs = 20000) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
};

describe(`Training pipeline and its triggers (${ENGINE})`, () => {
  let t: TestApp;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  afterEach(() => t?.close());

  it('admin endpoints: 401 without or with a wrong token, 202 with the right one, then the run can be read and listed', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    await ingestBatch(t, 1);
    const http = request(t.app.getHttpServer());
    const missing = await http.post('/v1/admin/training-runs').send({}).expect(401);
    expect(missing.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    await http
      .post('/v1/admin/training-runs')
      .set({ Authorization: 'Bearer wrong-token-wrong-token' })
      .send({})
      .expect(401);
    await http
      .get('/v1/admin/training-runs')
      .set({ Authorization: `Basic ${ADMIN_TOKEN}` })
      .expect(401);
    await http.post('/v1/admin/training-runs').set(admin).send({ trials: -1 }).expect(400);
    await http
      .post('/v1/admin/training-runs')
      .set(admin)
      .send({ families: ['nope'] })
      .expect(400)
      .expect((res) => expect(res.body.details[0].field).toBe('families'));
    await http.post('/v1/admin/training-runs').set(admin).send({ extra: 1 }).expect(400);

    const started = await http
      .post('/v1/admin/training-runs')
      .set(admin)
      .send({ families: ['linear'] })
      .expect(202);
    expect(started.body).toEqual({
      runId: 1,
      status: 'running',
      href: '/v1/admin/training-runs/1',
    });
    await t.app.get(TrainingService).waitForRun(1);
    const run = await http.get('/v1/admin/training-runs/1').set(admin).expect(200);
    expect(run.body).toMatchObject({
      id: 1,
      trigger: 'admin',
      status: 'succeeded',
      families: ['linear'],
      rowCount: 1000,
      outcomes: [{ family: 'linear', version: 1, promoted: true }],
    });
    expect(run.body.durationSeconds).toBeGreaterThan(0);
    const list = await http.get('/v1/admin/training-runs?limit=5').set(admin).expect(200);
    expect(list.body.map((r: { id: number }) => r.id)).toEqual([1]);
    await http.get('/v1/admin/training-runs/99').set(admin).expect(404);
  });

  it('admin endpoints answer 503 "admin disabled" when no token is configured', async () => {
    t = await createTestApp({});
    const res = await request(t.app.getHttpServer())
      .post('/v1/admin/training-runs')
      .set(admin)
      .send({})
      .expect(503);
    expect(res.body).toMatchObject({
      code: 'ADMIN_DISABLED',
      message: expect.stringMatching(/disabled/),
    });
  });

  it('a second trigger while a run is in progress gets 409 with the running run id', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    await ingestBatch(t, 1);
    const http = request(t.app.getHttpServer());
    const first = await http
      .post('/v1/admin/training-runs')
      .set(admin)
      .send({ families: ['xgboost'], trials: 2 })
      .expect(202);
    const second = await http.post('/v1/admin/training-runs').set(admin).send({}).expect(409);
    expect(second.body).toMatchObject({
      statusCode: 409,
      code: 'CONFLICT',
      details: [
        {
          field: 'runningRunId',
          rules: { oneRunAtATime: expect.any(String) },
          value: first.body.runId,
        },
      ],
    });
    await expect(t.app.get(TrainingScheduler).runNightly()).resolves.toBeNull();
    const done = await t.app.get(TrainingService).waitForRun(first.body.runId);
    expect(done.status).toBe('succeeded');
    expect(done.outcomes[0]).toMatchObject({ family: 'xgboost', version: 1 });
    // The lock is released: a new run starts.
    await http
      .post('/v1/admin/training-runs')
      .set(admin)
      .send({ families: ['linear'] })
      .expect(202);
  });

  it('a run interrupted by a crash is marked failed at the next start and left no version', async () => {
    t = await createTestApp({ ADMIN_TOKEN }, { keepState: true });
    const db = t.app.get(DataSource);
    await db.query(
      `INSERT INTO training_run (trigger, status, started_at, trials, families, outcomes, instance) VALUES ('admin', 'running', ${ENGINE === 'postgres' ? 'now()' : "datetime('now')"}, 5, '["linear"]', '[]', 'crashed:1')`,
    );
    const { workDir, config } = t;
    await t.close();
    t = await createTestApp({ ADMIN_TOKEN, DATABASE_SCHEMA: config.DATABASE_SCHEMA }, { workDir });
    const run = await t.app.get(TrainingService).getRun(1);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/Interrupted/) });
    expect(run.finishedAt).not.toBeNull();
    expect(await t.app.get(RegistryService).listVersions('linear')).toEqual([]);
  });

  it('nightly job: the scheduled cron ingests the drop folder and retrains only when the data changed', async () => {
    // No search (trials 0): this test is about the schedule and the data, not the search.
    t = await createTestApp({
      ADMIN_TOKEN,
      RETRAIN_ENABLED: 'true',
      RETRAIN_CRON: '30 3 * * *',
      SEARCH_TRIALS: '0',
    });
    const job = t.app.get(SchedulerRegistry).getCronJob(NIGHTLY_JOB);
    expect(job.cronTime.source).toBe('30 3 * * *');
    const registry = t.app.get(RegistryService);
    const training = t.app.get(TrainingService);
    const lastRun = async () => (await training.listRuns(1))[0];

    dropBatch(t, 1);
    job.fireOnTick();
    await until(
      async () => (await lastRun())?.status !== undefined && (await lastRun()).status !== 'running',
      120000,
    );
    const first = await lastRun();
    expect(first).toMatchObject({ trigger: 'schedule', status: 'succeeded', rowCount: 1000 });
    expect(first.outcomes.map((o) => o.family)).toEqual([
      'linear',
      'xgboost',
      'xgboost-log',
      'xgboost-blend',
    ]);
    expect(
      readdirSync(join(t.config.DATA_DIR, 'incoming')).filter((n) => !n.startsWith('.')),
    ).toEqual([]);

    // No new data: the next night skips.
    const skippedId = await t.app.get(TrainingScheduler).runNightly();
    const skipped = await training.waitForRun(skippedId!);
    expect(skipped).toMatchObject({ status: 'skipped', outcomes: [] });
    expect(skipped.error).toMatch(/no new data/);

    // New data arrives: retrained on 2,000 rows.
    copyFileSync(BATCH(2), join(t.config.DATA_DIR, 'incoming', 'fresh.csv'));
    const thirdId = await t.app.get(TrainingScheduler).runNightly();
    const third = await training.waitForRun(thirdId!);
    expect(third).toMatchObject({ status: 'succeeded', rowCount: 2000 });
    expect((await registry.getVersion('linear', 2)).lineage.batchIds).toEqual([1, 2]);
  }, 180000); // two runs of every family, each a fit and a refit: slow on a loaded machine

  it('first start on an empty registry trains every family with the small budget, and not again on restart', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'diamonds-first-start-'));
    mkdirSync(join(workDir, 'data'), { recursive: true });
    copyFileSync(BATCH(1), join(workDir, 'data', 'diamonds.csv')); // the "bundled" file: 1,000 rows here
    const env = {
      ADMIN_TOKEN,
      SEED_ON_START: 'true',
      TRAIN_ON_START: 'true',
      FIRST_START_TRIALS: '1',
    };
    t = await createTestApp(env, { workDir, keepState: true });
    const registry = t.app.get(RegistryService);
    const [run] = await t.app.get(TrainingService).listRuns(1);
    expect(run).toMatchObject({ trigger: 'first-start', trials: 1 });
    const done = await t.app.get(TrainingService).waitForRun(run.id);
    expect(done).toMatchObject({ status: 'succeeded', rowCount: 1000 });
    const families = await registry.listFamilies();
    expect(families.map((f) => [f.family, f.champion?.version ?? null])).toEqual([
      ['linear', 1],
      ['xgboost', 1],
      ['xgboost-log', 1],
      ['xgboost-blend', 1],
    ]);
    expect((await registry.getVersion('xgboost', 1)).trials).toHaveLength(1);
    const schema = t.config.DATABASE_SCHEMA;
    await t.close();
    t = await createTestApp({ ...env, DATABASE_SCHEMA: schema }, { workDir });
    expect(await t.app.get(TrainingService).listRuns(10)).toHaveLength(1);
  }, 120000);

  it('first start with too little data does not start a run', async () => {
    t = await createTestApp({ ADMIN_TOKEN, TRAIN_ON_START: 'true' });
    expect(await t.app.get(TrainingService).listRuns(10)).toEqual([]);
  });

  (ENGINE === 'postgres' ? it : it.skip)(
    'two instances sharing PostgreSQL never train at the same time (advisory lock)',
    async () => {
      t = await createTestApp({ ADMIN_TOKEN }); // closed last (afterEach): drops the shared schema
      await ingestBatch(t, 1);
      const other = await createTestApp(
        // Its own VAR_DIR: one live process per VAR_DIR (the lock refuses a second one).
        {
          ADMIN_TOKEN,
          DATABASE_SCHEMA: t.config.DATABASE_SCHEMA,
          VAR_DIR: join(t.workDir, 'var-2'),
        },
        { workDir: t.workDir, keepState: true },
      );
      try {
        const first = await request(t.app.getHttpServer())
          .post('/v1/admin/training-runs')
          .set(admin)
          .send({ families: ['xgboost'], trials: 2 })
          .expect(202);
        const second = await request(other.app.getHttpServer())
          .post('/v1/admin/training-runs')
          .set(admin)
          .send({})
          .expect(409);
        expect(second.body.details).toEqual([
          {
            field: 'runningRunId',
            rules: { oneRunAtATime: `run ${first.body.runId} is in progress` },
            value: first.body.runId,
          },
        ]);
        // Starting an instance while another trains must not mark the live run as interrupted.
        await other.app.get(TrainingService).recoverInterruptedRuns();
        expect((await other.app.get(TrainingService).getRun(first.body.runId)).status).toBe(
          'running',
        );
        expect((await t.app.get(TrainingService).waitForRun(first.body.runId)).status).toBe(
          'succeeded',
        );
        await request(other.app.getHttpServer())
          .post('/v1/admin/training-runs')
          .set(admin)
          .send({ families: ['linear'] })
          .expect(202);
        await other.app.get(TrainingService).waitForRun(first.body.runId + 1);
      } finally {
        await other.close();
      }
    },
  );
});
