import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { DropFolderService } from '../../src/diamonds/drop-folder.service';
import { SimilarDiamondsService } from '../../src/diamonds/similar-diamonds.service';
import { XgboostFamily } from '../../src/model-runtime/families/xgboost.family';
import { ADMIN_TOKEN, ingestBatch, SAMPLE_DIAMOND, train } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const HEADER = 'carat,cut,color,clarity,depth,table,price,x,y,z';
const GOOD_ROW = '0.7,Ideal,G,VS1,61.5,56,2800,5.7,5.72,3.51';

/** Issue 11's probes: every one of them used to be a 500, a stored absurd row or a stuck file. */
describe(`Robustness (${ENGINE})`, () => {
  let t: TestApp;
  let db: DataSource;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const expect400 = async (res: request.Response, field: string) => {
    expect({ status: res.status, body: res.body }).toMatchObject({
      status: 400,
      body: { statusCode: 400, code: 'VALIDATION_FAILED' },
    });
    const fields = (res.body.details as { field: string }[]).map((d) => d.field);
    expect(fields).toContain(field);
  };

  describe('one set of bounds for the API and the CSV files', () => {
    it('rejects CSV rows the API would refuse (carat 1e308, price 1e300, x 5000 mm), with the reason', async () => {
      const csv = [
        HEADER,
        GOOD_ROW,
        '1e308,Ideal,G,VS1,61.5,56,2800,5.7,5.72,3.51',
        '0.7,Ideal,G,VS1,61.5,56,1e300,5.7,5.72,3.51',
        '0.7,Ideal,G,VS1,61.5,56,2800,5000,5.72,3.51',
        '0.7,Ideal,G,VS1,61.5,56,2800,0x10,5.72,3.51',
      ].join('\n');
      const res = await http()
        .post('/v1/admin/datasets')
        .set(AUTH)
        .set('Content-Type', 'text/csv')
        .query({ filename: 'absurd.csv' })
        .send(csv)
        .expect(201);
      expect(res.body).toMatchObject({ accepted: 1, rejected: 4 });
      const reasons = (res.body.rejections as { lineNumber: number; reasons: string[] }[]).map(
        (r) => [r.lineNumber, r.reasons],
      );
      expect(reasons).toEqual([
        [3, ['carat must be > 0 and ≤ 10 (carats), got 1e+308']],
        [4, ['price must be ≥ 1 and ≤ 1000000 (USD), got 1e+300']],
        [5, ['x must be > 0 and ≤ 100 (mm), got 5000']],
        [6, ['x is not a number: "0x10"']],
      ]);
    });

    it('takes the price range from the configuration (PRICE_MIN, PRICE_MAX)', async () => {
      const other = await createTestApp({ PRICE_MIN: '500', PRICE_MAX: '20000' });
      try {
        const file = join(other.workDir, 'prices.csv');
        writeFileSync(
          file,
          [HEADER, GOOD_ROW, GOOD_ROW.replace('2800', '300'), GOOD_ROW.replace('2800', '25000')]
            .join('\n')
            .concat('\n'),
        );
        const report = await other.app.get(DiamondsService).ingestFile(file, 'cli');
        expect(report.rejections.map((r) => r.reasons)).toEqual([
          ['price must be ≥ 500 and ≤ 20000 (USD), got 300'],
          ['price must be ≥ 500 and ≤ 20000 (USD), got 25000'],
        ]);
      } finally {
        await other.close();
      }
    });

    it('says "required" for an empty carat and refuses hexadecimal query numbers', async () => {
      const q = { cut: 'Ideal', color: 'G', clarity: 'VS1' };
      const empty = await http()
        .get('/v1/similar-diamonds')
        .query({ ...q, carat: '' });
      await expect400(empty, 'carat');
      expect(empty.body.message).toContain('carat is required');
      await expect400(
        await http()
          .get('/v1/similar-diamonds')
          .query({ ...q, carat: '0x1' }),
        'carat',
      );
    });
  });

  describe('rejected rows', () => {
    const upload = (csv: string, filename: string) =>
      http()
        .post('/v1/admin/datasets')
        .set(AUTH)
        .set('Content-Type', 'text/csv')
        .query({ filename })
        .send(csv);

    it('stores and returns at most 2,000 characters of a 3 MB line and its reason, saying it was cut', async () => {
      const huge = 'A'.repeat(3_000_000);
      const res = await upload(
        `${HEADER}\n${GOOD_ROW}\n0.7,${huge},G,VS1,61.5,56,2800,5.7,5.72,3.51\n`,
        'long.csv',
      ).expect(201);
      expect(JSON.stringify(res.body).length).toBeLessThan(10_000);
      const [rejection] = res.body.rejections as { rawText: string; reasons: string[] }[];
      expect(rejection.rawText).toMatch(/…\[cut: 3000037 characters in all\]$/);
      expect(rejection.reasons[0]).toMatch(/^cut "A{100}…" \(3000000 characters\) is not one of/);
      const stored = await http()
        .get(`/v1/admin/datasets/${res.body.batchId}/rejected-rows`)
        .set(AUTH)
        .expect(200);
      expect(stored.body[0].rawText.length).toBeLessThan(2100);
    });

    it('rejects the row with a stray quote, not the file', async () => {
      const res = await upload(
        [
          HEADER,
          GOOD_ROW,
          '0.7,Ide"al,G,VS1,61.5,56,2800,5.7,5.72,3.51',
          GOOD_ROW.replace('2800', '2801'),
        ].join('\n'),
        'stray-quote.csv',
      ).expect(201);
      expect(res.body).toMatchObject({ accepted: 2, rejected: 1 });
      expect(res.body.rejections[0]).toMatchObject({
        lineNumber: 3,
        reasons: [expect.stringContaining('cut "Ide"al" is not one of')],
      });
    });
  });

  describe('400 or 404, never 500', () => {
    const TOO_BIG = '99999999999';

    it.each([['a model version beyond int32 in a price request', 'model.version']])(
      'refuses %s',
      async (_label, field) => {
        const res = await http()
          .post('/v1/prices')
          .send({ ...SAMPLE_DIAMOND, model: { family: 'linear', version: 2147483648 } });
        await expect400(res, field);
      },
    );

    it.each([
      ['/v1/models/xgboost/versions/' + TOO_BIG, 'version'],
      ['/v1/models/xgboost/compare?a=1&b=1e20', 'b'],
      ['/v1/models/xgboost/compare?a=0x1&b=2', 'a'],
      ['/v1/admin/training-runs/' + TOO_BIG, 'id'],
      ['/v1/admin/datasets/' + TOO_BIG + '/rejected-rows', 'batchId'],
      ['/v1/admin/audit-records?modelVersion=' + TOO_BIG, 'modelVersion'],
      ['/v1/admin/audit-records?from=-010000-01-01T00:00:00Z', 'from'],
      ['/v1/admin/audit-records?to=%2B275760-09-13T00:00:00Z', 'to'],
      ['/v1/admin/audit-records?route=%2Fv1%00x', 'route'],
      ['/v1/admin/audit-records?requestId=a%00b', 'requestId'],
      ['/v1/admin/audit-records/abc%00def', 'id'],
    ])('GET %s is a 400 naming %s', async (url, field) => {
      await expect400(await http().get(url).set(AUTH), field);
    });

    it('refuses a cursor holding a date or an id the database cannot take', async () => {
      for (const cursor of [
        ['-010000-01-01T00:00:00.000Z', 'a'],
        ['2026-01-01T00:00:00.000Z', 'a\u0000b'],
      ]) {
        const text = Buffer.from(JSON.stringify(cursor)).toString('base64url');
        await expect400(
          await http().get('/v1/admin/audit-records').query({ cursor: text }).set(AUTH),
          'cursor',
        );
      }
    });

    it('refuses promote { version: 1e20 } with a 400', async () => {
      await expect400(
        await http().post('/v1/admin/models/xgboost/promote').set(AUTH).send({ version: 1e20 }),
        'version',
      );
    });

    it('refuses JSON nested 10,000 levels with a 400 before class-transformer recurses', async () => {
      const deep = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
      const body = `{"carat":0.7,"cut":"Ideal","color":"G","clarity":"VS1","model":${deep}}`;
      const res = await http()
        .post('/v1/prices')
        .set('Content-Type', 'application/json')
        .send(body);
      await expect400(res, 'model.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a');
      expect(res.body.message).toContain('nested deeper than 32 levels');
      await http().get('/health/live').expect(200);
    });

    it('refuses NUL bytes in body strings with a 400', async () => {
      await expect400(
        await http()
          .post('/v1/prices')
          .send({ ...SAMPLE_DIAMOND, model: { family: 'lin\u0000ear' } }),
        'model.family',
      );
    });
  });

  describe('CSV files with a NUL past the first 4 KB', () => {
    const nulFile = () =>
      Buffer.concat([
        Buffer.from([HEADER, ...Array<string>(200).fill(GOOD_ROW)].join('\n') + '\n'),
        Buffer.from('0.7,Ideal,G,VS1,61.5,56,2800,5.7,5.72,3.5\u00001\n'),
      ]);

    it('refuses an upload as a whole (422), storing nothing', async () => {
      const file = nulFile();
      expect(file.indexOf(0)).toBeGreaterThan(4096);
      const before = Number((await db.query('SELECT COUNT(*) AS n FROM diamond'))[0].n);
      const res = await http()
        .post('/v1/admin/datasets')
        .set(AUTH)
        .set('Content-Type', 'text/csv')
        .send(file)
        .expect(422);
      expect(res.body.message).toContain('NUL');
      expect(Number((await db.query('SELECT COUNT(*) AS n FROM diamond'))[0].n)).toBe(before);
    });

    it('moves such a drop-folder file to rejected/ with its reason, not retried at the next scan', async () => {
      const drop = t.app.get(DropFolderService);
      writeFileSync(join(drop.folders.incoming, 'nul.csv'), nulFile());
      const [first] = await drop.scan();
      expect(first.refused).toContain('NUL');
      expect(readdirSync(drop.folders.incoming)).toEqual([]);
      expect(readFileSync(`${first.movedTo}.reason.txt`, 'utf8')).toContain('NUL');
      expect(await drop.scan()).toEqual([]);
    });

    it('moves a file that fails for any other reason (here the database) to rejected/ too', async () => {
      const drop = t.app.get(DropFolderService);
      const diamonds = t.app.get(DiamondsService);
      writeFileSync(join(drop.folders.incoming, 'good.csv'), `${HEADER}\n${GOOD_ROW}\n`);
      const spy = jest
        .spyOn(diamonds, 'ingestFile')
        .mockRejectedValueOnce(new Error('connection terminated unexpectedly'));
      try {
        const [result] = await drop.scan();
        expect(result.refused).toContain('connection terminated unexpectedly');
        expect(existsSync(`${result.movedTo}.reason.txt`)).toBe(true);
        expect(readdirSync(drop.folders.incoming)).toEqual([]);
      } finally {
        spy.mockRestore();
      }
    });
  });
});

describe(`Batch retraction (${ENGINE})`, () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN, CHAMPION_POLL_MS: '60000' });
    await ingestBatch(t, 1);
    await ingestBatch(t, 2);
  });
  afterAll(() => t.close());

  it('takes a batch out of the training set and the similar index, keeps its rows, writes the ledger', async () => {
    const diamonds = t.app.get(DiamondsService);
    const similar = t.app.get(SimilarDiamondsService);
    await similar.refresh();
    const before = await diamonds.snapshot();
    expect(before.rowCount).toBe(2000);
    expect(similar.size).toBe(2000);

    const res = await http()
      .post('/v1/admin/datasets/2/retract')
      .set(AUTH)
      .send({ reason: 'supplier export was corrupt', actor: 'alice' })
      .expect(200);
    expect(res.body).toMatchObject({
      batchId: 2,
      reason: 'supplier export was corrupt',
      actor: 'alice',
      rowsRemoved: 1000,
    });

    const after = await diamonds.snapshot();
    expect(after.rowCount).toBe(1000);
    expect(after.batchIds).toEqual([1]);
    expect(after.contentHash).not.toBe(before.contentHash);
    await similar.refresh();
    expect(similar.size).toBe(1000);
    const stored = await t.app.get(DataSource).query('SELECT COUNT(*) AS n FROM diamond');
    expect(Number(stored[0].n)).toBe(2000);

    const batches = await http().get('/v1/admin/datasets').set(AUTH).expect(200);
    expect(batches.body[1].retractedAt).toEqual(expect.any(String));
    expect(batches.body[0].retractedAt).toBeNull();
    const ledger = await http().get('/v1/admin/datasets/retractions').set(AUTH).expect(200);
    expect(ledger.body).toEqual([expect.objectContaining({ batchId: 2, actor: 'alice' })]);
  });

  it('answers 409 for a batch already retracted, 404 for none, 401 without the token, 400 without a reason', async () => {
    await http()
      .post('/v1/admin/datasets/2/retract')
      .set(AUTH)
      .send({ reason: 'again' })
      .expect(409);
    await http().post('/v1/admin/datasets/99/retract').set(AUTH).send({ reason: 'x' }).expect(404);
    await http().post('/v1/admin/datasets/1/retract').send({ reason: 'x' }).expect(401);
    await http().post('/v1/admin/datasets/1/retract').set(AUTH).send({}).expect(400);
  });

  it('is documented in Swagger', async () => {
    const doc = await http().get('/docs-json').expect(200);
    const op = doc.body.paths['/v1/admin/datasets/{batchId}/retract']?.post;
    expect(op?.summary).toContain('Take a batch out of the dataset');
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404', '409']));
  });
});

describe(`A run with a failed family (${ENGINE})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await ingestBatch(t, 1);
  });
  afterAll(() => t.close());

  it('is partial, with the reason per family, not succeeded', async () => {
    const xgboost = t.app.get(XgboostFamily);
    const spy = jest
      .spyOn(xgboost, 'train')
      .mockRejectedValueOnce(new Error('Features must be finite'));
    try {
      const run = await train(t, { families: ['linear', 'xgboost'], trials: 1 });
      expect(run.status).toBe('partial');
      expect(run.error).toBe('xgboost: Features must be finite');
      expect(run.outcomes).toEqual([
        expect.objectContaining({ family: 'linear', promoted: true }),
        { family: 'xgboost', error: 'Features must be finite' },
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe(`Prices outside what a model was trained on (${ENGINE})`, () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  beforeAll(async () => {
    t = await createTestApp();
    await ingestBatch(t, 1);
    expect((await train(t, { families: ['linear'] })).status).toBe('succeeded');
  });
  afterAll(() => t.close());

  const linear = (d: object) =>
    http()
      .post('/v1/prices')
      .send({ ...SAMPLE_DIAMOND, ...d, model: { family: 'linear' } })
      .expect(200);

  it('stores the training ranges with the version', async () => {
    const res = await http().get('/v1/models/linear/versions/1').expect(200);
    expect(res.body.trainingRanges.features.carat.min).toBeGreaterThan(0);
    expect(res.body.trainingRanges.price.max).toBeGreaterThan(res.body.trainingRanges.price.min);
  });

  it('answers carat 10, x 100 mm (once 1e54 USD) within the band, naming each field outside', async () => {
    const version = await http().get('/v1/models/linear/versions/1').expect(200);
    const ranges = version.body.trainingRanges;
    const res = await linear({ carat: 10, x: 100, y: undefined, z: undefined });
    expect(res.body.priceClamped).toBe(true);
    expect(res.body.price).toBe(ranges.price.max * 2);
    expect(res.body.outsideTrainingRange).toEqual([
      {
        field: 'carat',
        value: 10,
        trainedMin: ranges.features.carat.min,
        trainedMax: ranges.features.carat.max,
      },
      {
        field: 'x',
        value: 100,
        trainedMin: ranges.features.x.min,
        trainedMax: ranges.features.x.max,
      },
    ]);
  });

  it('answers x 0.0001 mm (once 0 or 1.4 USD) no lower than half the cheapest training price', async () => {
    const version = await http().get('/v1/models/linear/versions/1').expect(200);
    const res = await linear({ x: 0.0001 });
    expect(res.body.price).toBeGreaterThanOrEqual(version.body.trainingRanges.price.min / 2);
    expect(res.body.outsideTrainingRange.map((o: { field: string }) => o.field)).toContain('x');
  });
});
