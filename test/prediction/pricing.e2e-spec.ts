import { join } from 'node:path';
import request from 'supertest';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { RegistryService } from '../../src/registry/registry.service';
import { TrainingService } from '../../src/training/training.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { registerCopy as registerCopyOf } from '../support/training-helpers';
import { typedClient } from '../support/typed-client';

const batch = (name: string) => join(__dirname, '..', '..', 'data', 'batches', name);
const diamond = {
  carat: 0.7,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: 61.5,
  table: 57,
  x: 5.7,
  y: 5.72,
  z: 3.52,
};
const ALL_CUTS = 'Fair, Good, Very Good, Premium, Ideal';

/**
 * Pricing end to end on a real app: 1,000 diamonds, linear and xgboost trained once (no search),
 * then extra versions registered from those models with chosen metrics, to move champions at will.
 */
describe(`Pricing API (${ENGINE})`, () => {
  let t: TestApp;
  let registry: RegistryService;
  const http = () => request(t.app.getHttpServer());
  const price = (body: object) => http().post('/v1/prices').send(body);

  /** Registers a copy of `family` v`from` claiming holdout MAE `mae`: a candidate to promote. */
  const registerCopy = (family: string, from: number, mae: number): Promise<number> =>
    registerCopyOf(registry, family, from, (v) => ({ metrics: { ...v.metrics, mae } }));
  /** The family whose champion has the lowest MAE, computed here, independently of the service. */
  const expectedDefault = async () => {
    const champions = (await registry.listFamilies()).flatMap((f) =>
      f.champion ? [f.champion] : [],
    );
    const best = champions.sort((a, b) => a.metrics.mae - b.metrics.mae)[0];
    return { family: best.family, version: best.version };
  };

  beforeAll(async () => {
    t = await createTestApp({ CHAMPION_POLL_MS: '200' }, { listen: true });
    registry = t.app.get(RegistryService);
    await t.app.get(DiamondsService).ingestFile(batch('batch-001.csv'), 'cli');
    const training = t.app.get(TrainingService);
    const { runId } = await training.startRun('cli', {
      trials: 0,
      families: ['linear', 'xgboost'],
    });
    const run = await training.waitForRun(runId);
    expect(run.status).toBe('succeeded');
  }, 120_000);
  afterAll(() => t?.close());

  describe('one diamond', () => {
    it('is priced by the default champion (lowest holdout MAE) with its family, version and the request id', async () => {
      const res = await price(diamond).expect(200);
      expect(res.body).toEqual({
        price: expect.any(Number),
        range: { low: expect.any(Number), high: expect.any(Number), level: 0.9 },
        currency: 'USD',
        model: await expectedDefault(),
        outsideTrainingRange: [],
        priceClamped: false,
        requestId: res.headers['x-request-id'],
      });
      expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      // A 0.7 ct Ideal G VS1 sells for a few thousand dollars in this data.
      expect(res.body.price).toBeGreaterThan(1000);
      expect(res.body.price).toBeLessThan(10000);
      expect(Math.round(res.body.price * 100) / 100).toBe(res.body.price);
    });

    it('round-trips through the typed client generated from the OpenAPI document', async () => {
      const api = typedClient(t);
      const { data, error, response } = await api.POST('/v1/prices', {
        body: { ...diamond, cut: 'Ideal', color: 'G', clarity: 'VS1', model: { family: 'linear' } },
      });
      expect(error).toBeUndefined();
      const direct = (await price({ ...diamond, model: { family: 'linear' } })).body;
      expect(data).toEqual({
        price: direct.price,
        range: direct.range,
        currency: 'USD',
        model: { family: 'linear', version: 1 },
        outsideTrainingRange: [],
        priceClamped: false,
        requestId: response.headers.get('x-request-id'),
      });
      expect(data!.range!.low).toBeLessThanOrEqual(data!.price);
      expect(data!.range!.high).toBeGreaterThanOrEqual(data!.price);
      const refused = await api.POST('/v1/prices', {
        body: { ...diamond, cut: 'Ideal', color: 'G', clarity: 'VS1', carat: 0 },
      });
      expect(refused.data).toBeUndefined();
      expect(refused.response.status).toBe(400);
      expect(refused.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('carat must be > 0'),
      });
    });

    it("echoes the caller's X-Request-Id", async () => {
      const res = await price(diamond).set('X-Request-Id', 'web-123').expect(200);
      expect(res.headers['x-request-id']).toBe('web-123');
      expect(res.body.requestId).toBe('web-123');
    });

    it("is priced by a named family's champion, or by a named version", async () => {
      const linear = await price({ ...diamond, model: { family: 'linear' } }).expect(200);
      const xgboost = await price({ ...diamond, model: { family: 'xgboost' } }).expect(200);
      expect(linear.body.model).toEqual({ family: 'linear', version: 1 });
      expect(xgboost.body.model).toEqual({ family: 'xgboost', version: 1 });
      expect(linear.body.price).not.toBe(xgboost.body.price);
      const exact = await price({ ...diamond, model: { family: 'xgboost', version: 1 } }).expect(
        200,
      );
      expect(exact.body).toMatchObject({
        model: { family: 'xgboost', version: 1 },
        price: xgboost.body.price,
      });
    });

    it('reads null as absent: an optional field takes its default, a required one is a 400 naming it', async () => {
      const plain = await price({ ...diamond, model: { family: 'xgboost' } }).expect(200);
      const nulls = await price({
        ...diamond,
        depth: null,
        level: null,
        model: { family: 'xgboost', version: null },
      }).expect(200);
      const { depth: _depth, ...noDepth } = diamond;
      const withoutDepth = await price({ ...noDepth, model: { family: 'xgboost' } }).expect(200);
      expect(nulls.body.price).toBe(withoutDepth.body.price);
      expect(nulls.body.range.level).toBe(plain.body.range.level);
      expect(nulls.body.model).toEqual({ family: 'xgboost', version: 1 });
      const defaultModel = await price({ ...diamond, model: null }).expect(200);
      expect(defaultModel.body.model).toEqual((await price(diamond).expect(200)).body.model);
      const batch = await http()
        .post('/v1/prices/batch')
        .send({ items: [{ ...diamond, z: null }], level: null, model: null })
        .expect(200);
      expect(batch.body.items[0].range.level).toBe(0.9);
      const missing = await price({ ...diamond, carat: null }).expect(400);
      expect(missing.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [expect.objectContaining({ field: 'carat' })],
      });
    });

    it('answers 404 for a version that does not exist, 400 for an unknown family, 503 for a family without champion', async () => {
      const missing = await price({ ...diamond, model: { family: 'xgboost', version: 99 } }).expect(
        404,
      );
      expect(missing.body).toMatchObject({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: expect.stringContaining('no version 99'),
      });
      const unknown = await price({ ...diamond, model: { family: 'forest' } }).expect(400);
      expect(unknown.body.message).toBe(
        'model.family must be one of: linear, xgboost, xgboost-blend, xgboost-log; got "forest"',
      );
      const none = await price({ ...diamond, model: { family: 'xgboost-log' } }).expect(503);
      expect(none.body).toMatchObject({
        code: 'MODEL_UNAVAILABLE',
        message: expect.stringContaining('xgboost-log family has no champion'),
      });
    });

    it('needs x for the linear model (400 naming x and linear) but not for xgboost', async () => {
      const { x: _x, y: _y, z: _z, ...noMeasurements } = diamond;
      const res = await price({ ...noMeasurements, model: { family: 'linear' } }).expect(400);
      expect(res.body).toMatchObject({
        code: 'MISSING_FEATURE',
        details: [{ field: 'x', rules: expect.any(Object) }],
      });
      expect(res.body.message).toMatch(/^x is required by the linear model/);
      const ok = await price({ ...noMeasurements, x: null, model: { family: 'xgboost' } }).expect(
        200,
      );
      expect(ok.body.price).toBeGreaterThan(0);
    });
  });

  describe('validation (400 with the one error shape and X-Request-Id)', () => {
    it.each([
      ['an unknown cut', { ...diamond, cut: 'Superb' }, 'cut', `cut must be one of: ${ALL_CUTS}`],
      [
        'an unknown color',
        { ...diamond, color: 'Z' },
        'color',
        'color must be one of: J, I, H, G, F, E, D',
      ],
      [
        'an unknown clarity',
        { ...diamond, clarity: 'VVS3' },
        'clarity',
        'clarity must be one of: I1, SI2, SI1, VS2, VS1, VVS2, VVS1, IF',
      ],
      [
        'a missing carat',
        { ...diamond, carat: undefined },
        'carat',
        'carat is required: a number > 0 and ≤ 10 carats',
      ],
      ['a zero carat', { ...diamond, carat: 0 }, 'carat', 'carat must be > 0 and ≤ 10 (carats)'],
      [
        'a carat above 10',
        { ...diamond, carat: 10.5 },
        'carat',
        'carat must be > 0 and ≤ 10 (carats)',
      ],
      [
        'a carat given as text',
        { ...diamond, carat: '0.7' },
        'carat',
        'carat must be a number (carats)',
      ],
      [
        'a depth out of range',
        { ...diamond, depth: 12 },
        'depth',
        'depth must be ≥ 40 and ≤ 80 (%)',
      ],
      [
        'a table out of range',
        { ...diamond, table: 101 },
        'table',
        'table must be ≥ 40 and ≤ 100 (%)',
      ],
      ['a negative x', { ...diamond, x: -1 }, 'x', 'x must be > 0 and ≤ 100 (mm)'],
      ['a z above 100 mm', { ...diamond, z: 150 }, 'z', 'z must be > 0 and ≤ 100 (mm)'],
      [
        'an unknown field',
        { ...diamond, colour: 'G' },
        'colour',
        'property colour should not exist',
      ],
      [
        'a version that is not an integer',
        { ...diamond, model: { family: 'linear', version: 1.5 } },
        'model.version',
        'model.version must be an integer',
      ],
      [
        'a model without family',
        { ...diamond, model: { version: 1 } },
        'model.family',
        'model.family is required: a model family name such as linear or xgboost',
      ],
      [
        'an unknown field in model',
        { ...diamond, model: { family: 'linear', tag: 'x' } },
        'model.tag',
        'property tag should not exist',
      ],
    ])('refuses %s, naming the field and the rule', async (_label, body, field, rule) => {
      const res = await price(body).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining(rule),
        details: expect.arrayContaining([{ field, rules: expect.objectContaining({}) }]),
        requestId: res.headers['x-request-id'],
      });
      const entry = (res.body.details as { field: string; rules: Record<string, string> }[]).find(
        (d) => d.field === field,
      )!;
      expect(Object.values(entry.rules)).toContain(rule);
    });

    it('answers a malformed JSON body with 400, not 500', async () => {
      const res = await http()
        .post('/v1/prices')
        .set('Content-Type', 'application/json')
        .send('{"carat": 0.7, "cut": ')
        .expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/JSON/),
        requestId: res.headers['x-request-id'],
      });
      expect(res.headers['x-request-id']).toBeTruthy();
    });
  });

  describe('batch', () => {
    it('prices each item in order, as the single endpoint would', async () => {
      const second = { carat: 1.51, cut: 'Premium', color: 'F', clarity: 'SI1', x: 7.3 };
      const res = await http()
        .post('/v1/prices/batch')
        .send({ items: [diamond, second], model: { family: 'linear' } })
        .expect(200);
      const one = await price({ ...diamond, model: { family: 'linear' } });
      const two = await price({ ...second, model: { family: 'linear' } });
      const model = { family: 'linear', version: 1 };
      expect(res.body).toEqual({
        items: [
          {
            price: one.body.price,
            range: one.body.range,
            currency: 'USD',
            model,
            outsideTrainingRange: [],
            priceClamped: false,
          },
          {
            price: two.body.price,
            range: two.body.range,
            currency: 'USD',
            model,
            outsideTrainingRange: [],
            priceClamped: false,
          },
        ],
        count: 2,
        model,
        requestId: res.headers['x-request-id'],
      });
      expect(two.body.price).toBeGreaterThan(one.body.price);
    });

    it('accepts 1,000 items and refuses 1,001 or none with a clear message', async () => {
      const full = await http()
        .post('/v1/prices/batch')
        .send({ items: Array(1000).fill(diamond) })
        .expect(200);
      expect(full.body.count).toBe(1000);
      expect(full.body.model).toEqual(await expectedDefault());
      const over = await http()
        .post('/v1/prices/batch')
        .send({ items: Array(1001).fill(diamond) })
        .expect(400);
      expect(over.body.message).toContain(
        'items must contain at most 1000 diamonds: split larger batches',
      );
      const empty = await http().post('/v1/prices/batch').send({ items: [] }).expect(400);
      expect(empty.body.message).toContain('items must contain at least 1 diamond');
      const none = await http().post('/v1/prices/batch').send({}).expect(400);
      expect(none.body.message).toContain('items is required');
    });

    it('names the item and field of an invalid item, and of a feature the model needs', async () => {
      const bad = await http()
        .post('/v1/prices/batch')
        .send({ items: [diamond, { ...diamond, cut: 'Round' }] })
        .expect(400);
      expect(bad.body.details).toEqual([
        { field: 'items.1.cut', rules: { isIn: `cut must be one of: ${ALL_CUTS}` } },
      ]);
      const noX = await http()
        .post('/v1/prices/batch')
        .send({ items: [diamond, { ...diamond, x: undefined }], model: { family: 'linear' } })
        .expect(400);
      expect(noX.body).toMatchObject({
        code: 'MISSING_FEATURE',
        details: [{ field: 'items.1.x' }],
      });
    });

    it('refuses a body over BODY_LIMIT with 413', async () => {
      const huge = { items: Array(1000).fill({ ...diamond, padding: 'p'.repeat(1100) }) };
      const res = await http().post('/v1/prices/batch').send(huge).expect(413);
      expect(res.body).toMatchObject({
        statusCode: 413,
        message: expect.stringMatching(/too large/i),
        requestId: res.headers['x-request-id'],
      });
    });
  });

  describe('hot swap', () => {
    it('prices the next request with a newly promoted champion, and with the previous one after a rollback', async () => {
      const before = await expectedDefault();
      // A linear version claiming a tiny error: promoted, it must become the default champion.
      const version = await registerCopy('linear', 1, 1);
      await registry.promote('linear', version, 'e2e', 'hot swap test');
      const after = await price(diamond).expect(200);
      expect(after.body.model).toEqual({ family: 'linear', version });
      const named = await price({ ...diamond, model: { family: 'linear' } }).expect(200);
      expect(named.body.model).toEqual({ family: 'linear', version });

      await registry.rollback('linear', 'e2e', 'hot swap test');
      const back = await price(diamond).expect(200);
      expect(back.body.model).toEqual(before);
      expect((await price({ ...diamond, model: { family: 'linear' } })).body.model).toEqual({
        family: 'linear',
        version: 1,
      });
    });

    it('reaches a second instance sharing the database within a few polls', async () => {
      const second = await createTestApp(
        // Its own VAR_DIR (one live process per VAR_DIR); the same SQLite file or schema.
        {
          DATABASE_SCHEMA: t.config.DATABASE_SCHEMA,
          CHAMPION_POLL_MS: '200',
          VAR_DIR: join(t.workDir, 'var-2'),
        },
        { workDir: t.workDir, keepState: true },
      );
      try {
        const other = () => request(second.app.getHttpServer()).post('/v1/prices').send(diamond);
        expect((await other().expect(200)).body.model).toEqual(await expectedDefault());
        const version = await registerCopy('xgboost', 1, 0.5);
        await registry.promote('xgboost', version, 'e2e', 'second instance test');
        const promotedAt = Date.now();
        let served = (await other()).body.model;
        while (served.version !== version && Date.now() - promotedAt < 5000) {
          await new Promise((r) => setTimeout(r, 50));
          served = (await other()).body.model;
        }
        expect(served).toEqual({ family: 'xgboost', version });
        expect(Date.now() - promotedAt).toBeLessThan(3000);
      } finally {
        await second.close();
      }
    });
  });
});
