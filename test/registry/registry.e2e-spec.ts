import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ModelArtifactEntity } from '../../src/registry/entities/model-artifact.entity';
import { RegistryService } from '../../src/registry/registry.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, ingestBatch, train } from '../support/training-helpers';

describe(`Model registry (${ENGINE})`, () => {
  let t: TestApp;
  let registry: RegistryService;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeEach(async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    registry = t.app.get(RegistryService);
    await ingestBatch(t, 1);
  });
  afterEach(() => t.close());

  it('registers every trained model with its lineage, split, metrics and an atomically written artifact', async () => {
    const run = await train(t);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'cli', rowCount: 1000 });
    expect(run.outcomes).toEqual([
      {
        family: 'linear',
        version: 1,
        promoted: true,
        mae: expect.any(Number),
        gate: expect.objectContaining({ basis: 'no-champion', championVersion: null }),
      },
    ]);

    const res = await request(t.app.getHttpServer())
      .get('/v1/models/linear/versions/1')
      .expect(200);
    const v = res.body;
    expect(v).toMatchObject({
      family: 'linear',
      version: 1,
      status: 'champion',
      trainingRunId: run.id,
      seed: 42,
      trials: [],
    });
    expect(v.lineage).toEqual({
      batchIds: [1],
      rowCount: 1000,
      contentHash: run.datasetHash,
      fittedOn: 'all-rows',
      fittedRows: 1000,
    });
    expect(v.split).toMatchObject({ kind: 'stable-hash', testFraction: 0.2 });
    expect(v.split.trainRows + v.split.holdoutRows).toBe(1000);
    expect(v.metrics.holdoutRows).toBe(v.split.holdoutRows);
    expect(v.metrics.mae).toBeGreaterThan(100);
    expect(v.metrics.r2).toBeGreaterThan(0.8);
    expect(v.holdoutSample.length).toBeGreaterThan(0);
    expect(v.codeVersion).toMatch(/^0\.1\.0\+/);
    expect(v.comparison).toMatchObject({
      championVersion: null,
      promoted: true,
      reason: 'first model of the family',
    });

    const modelFile = join(t.config.ARTIFACTS_DIR, v.artifact.path);
    expect(v.artifact.path).toBe(join('linear', '1', 'model.bin'));
    // The split model (training side only) is kept beside the served refit.
    expect(v.splitArtifact.path).toBe(join('linear', '1-split', 'model.bin'));
    expect(v.splitArtifact.sha256).not.toBe(v.artifact.sha256);
    expect(readFileSync(modelFile).length).toBe(v.artifact.size);
    const metadata = JSON.parse(
      readFileSync(join(t.config.ARTIFACTS_DIR, 'linear', '1', 'metadata.json'), 'utf8'),
    );
    expect(metadata).toMatchObject({
      family: 'linear',
      version: 1,
      sha256: v.artifact.sha256,
      lineage: v.lineage,
    });

    const overview = await request(t.app.getHttpServer()).get('/v1/models').expect(200);
    expect(overview.body.defaultModel).toMatchObject({ family: 'linear', version: 1 });
    expect(overview.body.families.map((f: { family: string }) => f.family)).toEqual([
      'linear',
      'xgboost',
      'xgboost-log',
      'xgboost-blend',
    ]);
    expect(overview.body.families[1]).toMatchObject({
      family: 'xgboost',
      champion: null,
      versions: 0,
    });
  });

  it('keeps a model that does not beat the champion on the same holdout rows as a candidate', async () => {
    await train(t);
    const second = await train(t); // same data, same deterministic fit: equal MAE does not beat
    expect(second.outcomes[0]).toMatchObject({ version: 2, promoted: false });
    const v2 = await registry.getVersion('linear', 2);
    expect(v2.status).toBe('candidate');
    expect(v2.comparison).toMatchObject({ championVersion: 1, promoted: false });
    expect(v2.comparison!.championMae).toBeCloseTo(v2.metrics.mae, 6);
    expect((await registry.findChampion('linear'))!.version).toBe(1);
    const ledger = await request(t.app.getHttpServer())
      .get('/v1/models/ledger?family=linear')
      .expect(200);
    expect(ledger.body).toHaveLength(1);
  });

  it('promotes a model within the configured tolerance, both split models scored on the same rows', async () => {
    await t.close();
    t = await createTestApp({ ADMIN_TOKEN, PROMOTION_TOLERANCE: '0.5' });
    registry = t.app.get(RegistryService);
    await ingestBatch(t, 1);
    await train(t);
    await ingestBatch(t, 2);
    const second = await train(t);
    expect(second.outcomes[0]).toMatchObject({ version: 2, promoted: true });
    const v2 = await registry.getVersion('linear', 2);
    const v1 = await registry.getVersion('linear', 1);
    // v1's split model on v2's holdout (which it never saw): the rows of both batches.
    expect(v2.comparison).toMatchObject({
      basis: 'paired-bootstrap',
      rows: v2.metrics.holdoutRows,
      candidateMae: v2.metrics.mae,
    });
    expect(v2.comparison!.rows).toBeGreaterThan(v1.metrics.holdoutRows);
    expect(second.outcomes[0].gate).toMatchObject({ rows: v2.metrics.holdoutRows, promoted: true });
    expect(v2.status).toBe('champion');
    expect(v1.status).toBe('retired');
    const [entry] = await registry.ledger('linear');
    expect(entry).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      action: 'promotion',
      actor: `run ${second.id}`,
    });
  });

  it('manual promotion and rollback move the champion and write the ledger', async () => {
    await train(t);
    await train(t);
    await train(t);
    const http = request(t.app.getHttpServer());
    const promoted = await http
      .post('/v1/admin/models/linear/promote')
      .set(admin)
      .send({ version: 3, reason: 'try v3', actor: 'alice' })
      .expect(200);
    expect(promoted.body).toMatchObject({
      fromVersion: 1,
      toVersion: 3,
      action: 'manual-promote',
      actor: 'alice',
      reason: 'try v3',
    });
    await http.post('/v1/admin/models/linear/promote').set(admin).send({ version: 3 }).expect(409);
    await http.post('/v1/admin/models/linear/promote').set(admin).send({ version: 9 }).expect(404);
    await http.post('/v1/admin/models/nope/promote').set(admin).send({ version: 1 }).expect(404);
    await http
      .post('/v1/admin/models/linear/promote')
      .set(admin)
      .send({ version: 'two' })
      .expect(400);

    const rolled = await http
      .post('/v1/admin/models/linear/rollback')
      .set(admin)
      .send({ reason: 'v3 misprices' })
      .expect(200);
    expect(rolled.body).toMatchObject({
      fromVersion: 3,
      toVersion: 1,
      action: 'rollback',
      actor: 'admin',
      reason: 'v3 misprices',
    });
    expect((await registry.getVersion('linear', 3)).status).toBe('rolled-back');
    expect((await registry.findChampion('linear'))!.version).toBe(1);
    // v1 was the first champion: nothing before it.
    const again = await http
      .post('/v1/admin/models/linear/rollback')
      .set(admin)
      .send({})
      .expect(409);
    expect(again.body.message).toMatch(/no previous champion/);

    const ledger = await http.get('/v1/models/ledger').expect(200);
    expect(
      ledger.body.map((e: { action: string; fromVersion: number | null; toVersion: number }) => [
        e.action,
        e.fromVersion,
        e.toVersion,
      ]),
    ).toEqual([
      ['rollback', 3, 1],
      ['manual-promote', 1, 3],
      ['promotion', null, 1],
    ]);
    const compare = await http.get('/v1/models/linear/compare?a=1&b=3').expect(200);
    expect(compare.body).toMatchObject({ sameData: true, a: { version: 1 }, b: { version: 3 } });
    expect(compare.body.metricsDelta.mae).toBeCloseTo(0, 6);
    await http.get('/v1/models/linear/compare?a=1').expect(400);
    // 3 alias moves + run 3, the last that ranked the champions on the same rows.
    expect(await registry.aliasRevision()).toBe(3 + 3);
  });

  it('refuses to load an artifact whose sha256 does not match, and one that is missing', async () => {
    await train(t);
    const champion = (await registry.findChampion('linear'))!;
    const v = await registry.getVersion('linear', 1);
    const file = join(t.config.ARTIFACTS_DIR, v.artifactPath);
    const model = await registry.loadModel(champion);
    model.dispose();
    const good = readFileSync(file);
    // A tampered cache file is not trusted: the model is read again from the database.
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    writeFileSync(file, flipped);
    (await registry.loadModel(champion)).dispose();
    expect(readFileSync(file).equals(good)).toBe(true);
    // Tampered bytes in the database are refused.
    const artifacts = t.app.get(DataSource).getRepository(ModelArtifactEntity);
    const where = { family: 'linear', version: 1, kind: 'served' as const };
    rmSync(file);
    await artifacts.update(where, { bytes: flipped });
    await expect(registry.loadModel(champion)).rejects.toThrow(
      /corrupt: sha256 [0-9a-f]{64} does not match/,
    );
    await artifacts.update(where, { bytes: Buffer.alloc(0) }); // truncated
    await expect(registry.loadModel(champion)).rejects.toThrow(/corrupt/);
    await artifacts.delete(where);
    expect(existsSync(file)).toBe(false);
    await expect(registry.loadModel(champion)).rejects.toThrow(/missing/);
  });

  it('answers 404 for unknown families and versions, 400 for a malformed version', async () => {
    const http = request(t.app.getHttpServer());
    const unknown = await http.get('/v1/models/nope/versions').expect(404);
    expect(unknown.body).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: expect.stringContaining(
        'known families: linear, xgboost, xgboost-log, xgboost-blend',
      ),
      details: [{ field: 'family', rules: { isKnownFamily: expect.any(String) } }],
    });
    const missing = await http.get('/v1/models/linear/versions/7').expect(404);
    expect(missing.body).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Model linear has no version 7',
    });
    const malformed = await http.get('/v1/models/linear/versions/abc').expect(400);
    expect(malformed.body.message).toMatch(/version/);
  });
});
