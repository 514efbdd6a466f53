import { rmSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ModelArtifactEntity } from '../../src/registry/entities/model-artifact.entity';
import { ModelCatalog } from '../../src/registry/model-catalog';
import { RegistryService } from '../../src/registry/registry.service';
import { ingestBatch, train, SAMPLE_DIAMOND } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

describe(`Health and metrics (${ENGINE})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('live: 200 as soon as the process answers', async () => {
    const res = await request(t.app.getHttpServer()).get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
  });

  it('ready: 503 naming the missing champion while database and migrations are fine', async () => {
    const res = await request(t.app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body.message).toMatch(/^Not ready: champion \(no champion model yet/);
    expect(res.body.code).toBe('NOT_READY');
    expect(res.body.details).toEqual([
      { field: 'champion', rules: { up: expect.stringMatching(/^no champion model yet/) } },
    ]);
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('ready: 503 naming the migrations when one is not applied', async () => {
    const db = t.app.get(DataSource);
    const [last] = await db.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1');
    await db.query(`DELETE FROM migrations WHERE name = '${last.name}'`);
    try {
      const res = await request(t.app.getHttpServer()).get('/health/ready').expect(503);
      expect(res.body.details).toContainEqual({
        field: 'migrations',
        rules: { up: expect.stringMatching(/pending migrations/) },
      });
    } finally {
      await db.query(
        `INSERT INTO migrations (timestamp, name) VALUES (${last.name.match(/\d{13}/)[0]}, '${last.name}')`,
      );
    }
  });

  it('ready: 200 with the champion once a model is trained', async () => {
    await ingestBatch(t, 1);
    const run = await train(t);
    expect(run.status).toBe('succeeded');
    const champion = await t.app.get(ModelCatalog).defaultChampion();
    const res = await request(t.app.getHttpServer()).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: {
        database: { status: 'up' },
        migrations: { status: 'up' },
        champion: { status: 'up', family: champion!.family, version: champion!.version },
      },
    });
  });

  it('metrics: every diamonds_ series is exposed, with route patterns and registry numbers', async () => {
    const server = t.app.getHttpServer();
    await request(server).get('/v1/models').expect(200);
    await request(server).get('/no/such/path/123').expect(404);
    const res = await request(server).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text: string = res.text;
    for (const name of [
      'diamonds_http_requests_total',
      'diamonds_http_request_duration_seconds_bucket',
      'diamonds_predictions_total',
      'diamonds_training_runs_total',
      'diamonds_training_run_duration_seconds_bucket',
      'diamonds_search_trials_total',
      'diamonds_audit_queue_depth',
      'diamonds_audit_spool_bytes',
      'diamonds_audit_write_lag_seconds',
      'diamonds_audit_spool_errors_total',
      'diamonds_audit_records_dropped_total',
      'diamonds_dataset_rows',
      'diamonds_process_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name.replace(/_bucket$/, '')} `);
    }
    expect(text).toMatch(
      /diamonds_http_requests_total\{method="GET",route="\/v1\/models",status="200"\} 1\n/,
    );
    expect(text).toMatch(
      /diamonds_http_requests_total\{method="GET",route="\(unmatched\)",status="404"\} 1\n/,
    );
    expect(text).toMatch(
      /diamonds_http_requests_total\{method="GET",route="\/health\/ready",status="503"\} 2\n/,
    );
    expect(text).toMatch(/diamonds_dataset_rows 1000\n/);
    if (ENGINE === 'postgres') {
      // Today and AUDIT_PARTITIONS_AHEAD (7) days on, made at start.
      expect(text).toMatch(/diamonds_audit_partitions 8\n/);
      const today = Date.UTC(
        new Date().getUTCFullYear(),
        new Date().getUTCMonth(),
        new Date().getUTCDate(),
      );
      expect(text).toContain(`diamonds_audit_oldest_partition_timestamp_seconds ${today / 1000}\n`);
    } else {
      // One table on SQLite: nothing to count.
      expect(text).toMatch(/diamonds_audit_partitions 0\n/);
    }
    expect(text).toMatch(/diamonds_training_runs_total\{status="succeeded",trigger="cli"\} 1\n/);
    expect(text).toMatch(
      /diamonds_training_run_duration_seconds_count\{status="succeeded",trigger="cli"\} 1\n/,
    );
  });

  it('metrics: predictions counted by the model a request reports (the request context)', async () => {
    const champion = (await t.app.get(ModelCatalog).defaultChampion())!;
    const server = t.app.getHttpServer();
    const diamond = SAMPLE_DIAMOND;
    await request(server).post('/v1/prices').send(diamond).expect(200);
    await request(server)
      .post('/v1/prices/batch')
      .send({ items: [diamond, diamond, diamond] })
      .expect(200);
    await request(server)
      .post('/v1/prices')
      .send({ ...diamond, carat: -1 })
      .expect(400);
    const text: string = (await request(server).get('/metrics').expect(200)).text;
    // 1 single + 3 in the batch; the refused request priced nothing.
    const series = new RegExp(
      `diamonds_predictions_total\\{family="${champion.family}",version="${champion.version}"\\} 4\\n`,
    );
    expect(text).toMatch(series);
  });

  it('a default model that cannot be loaded: ready 503 with the reason, a price request 503 MODEL_UNAVAILABLE', async () => {
    const champion = (await t.app.get(ModelCatalog).defaultChampion())!;
    const version = await t.app.get(RegistryService).getVersion(champion.family, champion.version);
    // The model lives in the database (the files are caches): take it out of both.
    const artifacts = t.app.get(DataSource).getRepository(ModelArtifactEntity);
    const where = { family: champion.family, version: champion.version, kind: 'served' as const };
    const stored = (await artifacts.findOneBy(where))!;
    const file = join(t.config.ARTIFACTS_DIR, version.artifactPath);
    await artifacts.delete(where);
    rmSync(file);
    // A replica on the same database, its own empty ARTIFACTS_DIR, starting now: it must load the model.
    const replica = await createTestApp(
      {
        DATABASE_SCHEMA: t.config.DATABASE_SCHEMA,
        SQLITE_PATH: t.config.SQLITE_PATH,
        VAR_DIR: join(t.workDir, 'var-2'),
        ARTIFACTS_DIR: join(t.workDir, 'artifacts-2'),
      },
      { workDir: t.workDir, keepState: true },
    );
    try {
      for (const app of [t, replica]) {
        const ready = await request(app.app.getHttpServer()).get('/health/ready').expect(503);
        expect(ready.body.message).toContain(
          `champion (the default model ${champion.family} v${champion.version} cannot be loaded: Model artifact ${version.artifactPath} is missing)`,
        );
        expect(ready.body.details).toContainEqual({
          field: 'champion',
          rules: { up: expect.stringContaining('cannot be loaded') },
        });
      }
      const price = await request(replica.app.getHttpServer())
        .post('/v1/prices')
        .send(SAMPLE_DIAMOND)
        .expect(503);
      expect(price.body).toMatchObject({
        statusCode: 503,
        code: 'MODEL_UNAVAILABLE',
        message: expect.stringContaining(
          `The model ${champion.family} v${champion.version} cannot be loaded`,
        ),
      });
      // Corrupt rather than missing: the same, naming the checksum.
      await artifacts.insert({ ...stored, id: undefined, bytes: Buffer.from('not a model') });
      const corrupt = await request(t.app.getHttpServer()).get('/health/ready').expect(503);
      expect(corrupt.body.message).toMatch(/is corrupt: sha256/);
      // The artifact back: ready, and the replica prices with it.
      await artifacts.update(where, { bytes: stored.bytes });
      await request(t.app.getHttpServer()).get('/health/ready').expect(200);
      await request(replica.app.getHttpServer())
        .post('/v1/prices')
        .send(SAMPLE_DIAMOND)
        .expect(200);
    } finally {
      await replica.close();
    }
  });
});
