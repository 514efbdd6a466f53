import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ADMIN_TOKEN } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));
const AUTH = `Bearer ${ADMIN_TOKEN}`;

describe(`Dataset upload (${ENGINE})`, () => {
  let t: TestApp;
  let db: DataSource;
  const upload = (body: Buffer | string, filename?: string, type = 'text/csv') => {
    const req = request(t.app.getHttpServer())
      .post('/v1/admin/datasets')
      .set('Authorization', AUTH)
      .set('Content-Type', type);
    if (filename) req.query({ filename });
    return req.send(body);
  };
  const diamondCount = async () =>
    Number((await db.query('SELECT COUNT(*) AS n FROM diamond'))[0].n);

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN, UPLOAD_MAX_BYTES: '2048' });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('needs the admin token', async () => {
    await request(t.app.getHttpServer())
      .post('/v1/admin/datasets')
      .set('Content-Type', 'text/csv')
      .send(fixture('good.csv'))
      .expect(401);
    expect(await diamondCount()).toBe(0);
  });

  it('ingests a good file: 201 with the report, listed among the batches', async () => {
    const res = await upload(fixture('mixed.csv'), 'mixed-2026.csv').expect(201);
    expect(res.body).toMatchObject({
      outcome: 'ingested',
      sourceName: 'mixed-2026.csv',
      accepted: 2,
      rejected: 8,
    });
    expect(res.body.rejections[0]).toEqual({
      lineNumber: 3,
      rawText: '0.5,Ideal,G,VS1,61.5,56.0,-1,5.1,5.13,3.15',
      reasons: ['price must be ≥ 1 and ≤ 1000000 (USD), got -1'],
    });
    expect(await diamondCount()).toBe(2);

    const batches = await request(t.app.getHttpServer())
      .get('/v1/admin/datasets')
      .set('Authorization', AUTH)
      .expect(200);
    expect(batches.body).toEqual([
      expect.objectContaining({
        id: res.body.batchId,
        sourceKind: 'upload',
        sourceName: 'mixed-2026.csv',
        acceptedCount: 2,
        rejectedCount: 8,
      }),
    ]);
    const rows = await request(t.app.getHttpServer())
      .get(`/v1/admin/datasets/${res.body.batchId}/rejected-rows`)
      .query({ limit: 2 })
      .set('Authorization', AUTH)
      .expect(200);
    expect(rows.body.map((r: { lineNumber: number }) => r.lineNumber)).toEqual([3, 4]);
    // The temp copy is gone once ingested.
    expect(readdirSync(join(t.config.VAR_DIR, 'uploads'))).toEqual([]);
  });

  it('answers 200 "duplicate" for the same file again and adds nothing', async () => {
    const res = await upload(fixture('mixed.csv'), 'again.csv').expect(200);
    expect(res.body).toMatchObject({ outcome: 'duplicate', accepted: 0, rejected: 0 });
    expect(await diamondCount()).toBe(2);
  });

  it('refuses a file with the wrong header: 422 FILE_REFUSED with the reason', async () => {
    const res = await upload(fixture('wrong-header.csv'), 'wrong.csv').expect(422);
    expect(res.body).toMatchObject({
      code: 'FILE_REFUSED',
      message: expect.stringMatching(
        /wrong\.csv refused: Wrong header \(missing column\(s\): color/,
      ),
    });
    expect(res.body.details).toEqual([
      {
        field: 'body',
        rules: { isDiamondCsv: expect.stringMatching(/^Wrong header/) },
        value: 'wrong.csv',
      },
    ]);
    expect(await diamondCount()).toBe(2);
  });

  it('refuses a body over UPLOAD_MAX_BYTES with 413 and stores nothing', async () => {
    const header = 'carat,cut,color,clarity,depth,table,price,x,y,z\n';
    const big = header + '0.3,Ideal,E,SI2,61.5,55,326,3.95,3.98,2.43\n'.repeat(60); // ~2.6 kB > 2 kB
    const res = await upload(big, 'big.csv').expect(413);
    expect(res.body).toMatchObject({
      statusCode: 413,
      message: expect.stringMatching(/limit is 2048 bytes/),
    });
    expect(await diamondCount()).toBe(2);
    expect(readdirSync(join(t.config.VAR_DIR, 'uploads'))).toEqual([]);
  });

  it('names the rule for a bad filename and a body that is not text/csv', async () => {
    const bad = await upload(fixture('good.csv'), '../etc/passwd').expect(400);
    expect(bad.body.message).toMatch(/filename may only contain/);
    const json = await upload(JSON.stringify({ a: 1 }), undefined, 'application/json').expect(415);
    expect(json.body.message).toMatch(/Content-Type: text\/csv/);
  });

  it('404 for the rejected rows of an unknown batch', async () => {
    await request(t.app.getHttpServer())
      .get('/v1/admin/datasets/9999/rejected-rows')
      .set('Authorization', AUTH)
      .expect(404);
  });
});
