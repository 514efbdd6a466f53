import request from 'supertest';
import { DataSource } from 'typeorm';
import { PricedRequestEntity } from '../../src/outcomes/priced-request.entity';
import { PricedRequestLog } from '../../src/outcomes/priced-request.log';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, ingestBatch, SAMPLE_DIAMOND, train } from '../support/training-helpers';

const STAFF_TOKEN = 'test-staff-token-0123456789';

/** The store's outcomes on a real app: linear trained on 1,000 diamonds. */
describe(`Outcomes (${ENGINE})`, () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const outcome = (body: object, token: string | null = STAFF_TOKEN) => {
    const req = http().post('/v1/outcomes').send(body);
    return token ? req.set('Authorization', `Bearer ${token}`) : req;
  };
  const summary = (token = STAFF_TOKEN) =>
    http().get('/v1/outcomes/summary').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN, STAFF_TOKEN });
    await ingestBatch(t, 1);
    expect((await train(t, { families: ['linear'], trials: 0 })).status).toBe('succeeded');
  }, 120_000);
  afterAll(() => t?.close());

  let single: { requestId: string; price: number; range: { low: number; high: number } | null };
  let batch: {
    requestId: string;
    items: { price: number; range: { low: number; high: number } | null }[];
  };

  it('records what the store paid for a priced diamond, and a second outcome replaces the first', async () => {
    single = (await http().post('/v1/prices').send(SAMPLE_DIAMOND).expect(200)).body;
    const first = await outcome({ requestId: single.requestId, price: 2500 }).expect(201);
    expect(first.body).toEqual({
      requestId: single.requestId,
      item: 0,
      price: 2500,
      quotedPrice: single.price,
      model: { family: 'linear', version: 1 },
      replaced: false,
      recordedAt: expect.any(String),
    });
    const second = await outcome({ requestId: single.requestId, price: 2600 }).expect(201);
    expect(second.body).toMatchObject({ price: 2600, replaced: true });
    const counted = (await summary().expect(200)).body;
    expect(counted.count).toBe(1);
    expect(counted.mae).toBeCloseTo(Math.abs(single.price - 2600), 2);
  });

  it("links a batch's diamonds by their item index, with the admin token too", async () => {
    const items = [SAMPLE_DIAMOND, { ...SAMPLE_DIAMOND, carat: 1.01, x: 6.4 }, SAMPLE_DIAMOND];
    batch = (await http().post('/v1/prices/batch').send({ items }).expect(200)).body;
    const res = await outcome({ requestId: batch.requestId, item: 1, price: 5000 }, ADMIN_TOKEN);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ item: 1, quotedPrice: batch.items[1].price });
    const missing = await outcome({ requestId: batch.requestId, item: 3, price: 5000 }).expect(404);
    expect(missing.body.message).toContain('no item 3');
  });

  it('refuses an unknown or unpriced request (404), a missing or wrong token (401), bad fields (400)', async () => {
    await outcome({ requestId: 'never-priced', price: 100 }).expect(404);
    // A pricing the API refused priced nothing: its request id is unknown to outcomes.
    const refused = await http()
      .post('/v1/prices')
      .send({ ...SAMPLE_DIAMOND, x: undefined })
      .expect(400);
    const unpriced = await outcome({ requestId: refused.body.requestId, price: 100 }).expect(404);
    expect(unpriced.body.code).toBe('NOT_FOUND');
    await outcome({ requestId: single.requestId, price: 100 }, null).expect(401);
    await outcome({ requestId: single.requestId, price: 100 }, 'wrong-token-0123456789').expect(
      401,
    );
    await summary('wrong-token-0123456789').expect(401);
    for (const [body, field] of [
      [{ requestId: single.requestId }, 'price'],
      [{ requestId: single.requestId, price: -5 }, 'price'],
      [{ requestId: single.requestId, price: 100, item: 'one' }, 'item'],
      [{ price: 100 }, 'requestId'],
      [{ requestId: 'a b', price: 100 }, 'requestId'],
    ] as const) {
      const res = await outcome(body).expect(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('summarises: count, MAE, per model version and the coverage of the ranges served', async () => {
    const res = await summary().expect(200);
    const errors = [Math.abs(single.price - 2600), Math.abs(batch.items[1].price - 5000)];
    const mae = (errors[0] + errors[1]) / 2;
    expect(res.body.count).toBe(2);
    expect(res.body.mae).toBeCloseTo(mae, 2);
    expect(res.body.byModel).toEqual([
      { family: 'linear', version: 1, count: 2, mae: expect.any(Number) },
    ]);
    expect(res.body.byModel[0].mae).toBeCloseTo(mae, 2);
    const quotes = [
      { range: single.range, paid: 2600 },
      { range: batch.items[1].range, paid: 5000 },
    ].filter((q) => q.range !== null);
    const inside = quotes.filter((q) => q.range!.low <= q.paid && q.paid <= q.range!.high);
    expect(quotes.length).toBe(2); // the linear version has a calibration: every quote a range
    expect(res.body.coverage).toEqual({
      quotedWithRange: 2,
      inside: inside.length,
      share: inside.length / 2,
    });
    // The dashboard: the live error by month and model, beside the holdout MAE.
    const dashboard = (await http().get('/dashboard/data').expect(200)).body;
    const linear = dashboard.families.find((f: { family: string }) => f.family === 'linear');
    expect(dashboard.outcomes).toEqual([
      {
        month: new Date().toISOString().slice(0, 7),
        family: 'linear',
        version: 1,
        count: 2,
        mae: res.body.byModel[0].mae,
        holdoutMae: linear.versions[0].mae,
      },
    ]);
    const doc = (await http().get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths['/v1/outcomes'].post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '404']),
    );
    expect(doc.paths['/v1/outcomes/summary'].get.security).toEqual([{ staff: [] }]);
  });

  it('turns the outcomes not yet used into a dataset batch of their own, once (admin)', async () => {
    const dataset = () =>
      http().post('/v1/admin/outcomes/dataset').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    await http()
      .post('/v1/admin/outcomes/dataset')
      .set('Authorization', `Bearer ${STAFF_TOKEN}`)
      .expect(401);
    const made = (await dataset().expect(200)).body;
    expect(made).toEqual({ batchId: expect.any(Number), outcomes: 2, accepted: 2, rejected: 0 });
    const batches = (
      await http()
        .get('/v1/admin/datasets')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(200)
    ).body;
    const list = Array.isArray(batches) ? batches : batches.items;
    const batch = list.find((b: { id: number }) => b.id === made.batchId);
    expect(batch).toMatchObject({ sourceKind: 'outcomes', acceptedCount: 2 });
    // Used once: nothing new the second time.
    expect((await dataset().expect(200)).body).toEqual({
      batchId: null,
      outcomes: 0,
      accepted: 0,
      rejected: 0,
    });
  });
  it('keeps the latest pricing of a request id sent twice: across flushes and within one', async () => {
    const id = 'client-sent-twice-0001';
    const log = t.app.get(PricedRequestLog);
    const before = Date.now();
    const first = (
      await http().post('/v1/prices').set('X-Request-Id', id).send(SAMPLE_DIAMOND).expect(200)
    ).body;
    await log.flush(); // the first pricing is in the table: the second one meets it there
    const items = [{ ...SAMPLE_DIAMOND, carat: 1.51, x: 7.3 }, SAMPLE_DIAMOND];
    const second = (
      await http().post('/v1/prices/batch').set('X-Request-Id', id).send({ items }).expect(200)
    ).body;
    expect(second.requestId).toBe(id);
    expect(second.items[0].price).not.toBe(first.price);
    const quoted0 = (await outcome({ requestId: id, item: 0, price: 9000 }).expect(201)).body;
    expect(quoted0.quotedPrice).toBe(second.items[0].price);
    const quoted1 = (await outcome({ requestId: id, item: 1, price: 2500 }).expect(201)).body;
    expect(quoted1.quotedPrice).toBe(second.items[1].price);
    const row = await t.app
      .get(DataSource)
      .getRepository(PricedRequestEntity)
      .findOneByOrFail({ requestId: id });
    expect(row.items.map((item) => item.features.carat)).toEqual([1.51, 0.7]);
    expect(row.pricedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(row.pricedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    // Twice in one flush: the later of the two is written.
    const model = { family: 'linear', version: 1 };
    const features = { ...SAMPLE_DIAMOND } as PricedRequestEntity['items'][number]['features'];
    log.record('twice-in-one-flush', model, [{ features, price: 111, range: null }]);
    log.record('twice-in-one-flush', model, [
      { features, price: 222, range: null },
      { features, price: 333.33, range: { low: 300, high: 360.5, level: 0.9 } },
    ]);
    await log.flush();
    const once = await t.app
      .get(DataSource)
      .getRepository(PricedRequestEntity)
      .findOneByOrFail({ requestId: 'twice-in-one-flush' });
    expect(once.items.map((item) => [item.price, item.range])).toEqual([
      [222, null],
      [333.33, { low: 300, high: 360.5, level: 0.9 }],
    ]);
    expect(once).toMatchObject({ family: 'linear', version: 1 });
  });
});
