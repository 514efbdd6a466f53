import { join } from 'node:path';
import request from 'supertest';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { RegistryService } from '../../src/registry/registry.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { registerCopy, SAMPLE_DIAMOND, train } from '../support/training-helpers';
import { POOL_SAMPLES, poolAvailable, unseenPoolRows } from '../support/unseen-pool';

const FAMILIES = ['linear', 'xgboost', 'xgboost-log', 'xgboost-blend'] as const;
const withPool = poolAvailable() ? it : it.skip;

interface Range {
  low: number;
  high: number;
  level: number;
}

/**
 * Price ranges end to end: every family trained once (no search) on the bundled data and the
 * three demo batches (8,000 rows), so each version is calibrated on ~1,600 holdout rows; every
 * fifth pool row none of those files uses (~5,000 rows no training saw) is the held-out slice
 * the coverage is measured on.
 */
describe(`Price ranges (${ENGINE})`, () => {
  let t: TestApp;
  let registry: RegistryService;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ CHAMPION_POLL_MS: '200' });
    registry = t.app.get(RegistryService);
    for (const file of POOL_SAMPLES) await t.app.get(DiamondsService).ingestFile(file, 'cli');
    const run = await train(t, { trials: 0, families: [...FAMILIES] });
    expect(run.status).toBe('succeeded');
  }, 180_000);
  afterAll(() => t?.close());

  it.each(FAMILIES)(
    '%s: one diamond and a batch get ordered ranges at 0.9 by default, at the level asked otherwise',
    async (family) => {
      const one = await http()
        .post('/v1/prices')
        .send({ ...SAMPLE_DIAMOND, model: { family } })
        .expect(200);
      const range = one.body.range as Range;
      expect(range.level).toBe(0.9);
      expect(range.low).toBeLessThanOrEqual(one.body.price);
      expect(range.high).toBeGreaterThanOrEqual(one.body.price);
      expect(range.low).toBeLessThan(range.high);
      expect(one.body.rangeUnavailable).toBeUndefined();

      const cheap = { ...SAMPLE_DIAMOND, carat: 0.3, x: 4.3, y: 4.31, z: 2.65 };
      const dear = { ...SAMPLE_DIAMOND, carat: 2.1, x: 8.2, y: 8.25, z: 5.05 };
      const batch = await http()
        .post('/v1/prices/batch')
        .send({ items: [cheap, dear], model: { family }, level: 0.5 })
        .expect(200);
      for (const item of batch.body.items as { price: number; range: Range }[]) {
        expect(item.range.level).toBe(0.5);
        expect(item.range.low).toBeLessThanOrEqual(item.price);
        expect(item.range.high).toBeGreaterThanOrEqual(item.price);
      }
      const [c, d] = batch.body.items as { price: number; range: Range }[];
      // Relative ranges: the dear stone's range is wider in dollars, about as wide in percent.
      expect(d.range.high - d.range.low).toBeGreaterThan(c.range.high - c.range.low);
      const relative = (x: { price: number; range: Range }) =>
        (x.range.high - x.range.low) / x.price;
      expect(relative(d) / relative(c)).toBeCloseTo(1, 1);

      const wide = await http()
        .post('/v1/prices')
        .send({ ...SAMPLE_DIAMOND, model: { family }, level: 0.99 })
        .expect(200);
      expect(wide.body.range.high - wide.body.range.low).toBeGreaterThan(range.high - range.low);
    },
  );

  it.each([
    ['0.4', 0.4],
    ['0.995', 0.995],
    ['text', '0.9'],
    ['1', 1],
  ])('refuses level %s with 400 VALIDATION_FAILED naming level', async (_label, level) => {
    for (const [path, body] of [
      ['/v1/prices', { ...SAMPLE_DIAMOND, level }],
      ['/v1/prices/batch', { items: [SAMPLE_DIAMOND], level }],
    ] as const) {
      const res = await http().post(path).send(body).expect(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'level', rules: expect.objectContaining({}) }],
      });
      expect(res.body.message).toContain('level must be a number between 0.5 and 0.99');
    }
  });

  it('says so, with range null and the reason, when a version has no calibration', async () => {
    const uncalibrated = await registerCopy(registry, 'linear', 1, () => ({ calibration: null }));
    const model2 = { family: 'linear', version: uncalibrated };
    const one = await http()
      .post('/v1/prices')
      .send({ ...SAMPLE_DIAMOND, model: model2 })
      .expect(200);
    expect(one.body.range).toBeNull();
    expect(one.body.rangeUnavailable).toMatch(/no range calibration/);
    const batch = await http()
      .post('/v1/prices/batch')
      .send({ items: [SAMPLE_DIAMOND], model: model2 })
      .expect(200);
    expect(batch.body.items[0]).toMatchObject({
      range: null,
      rangeUnavailable: one.body.rangeUnavailable,
    });
    const trust = await http().get(`/v1/models/linear/versions/${uncalibrated}/trust`).expect(200);
    expect(trust.body.rangeCalibration).toBeNull();
    expect(trust.body.notes).toEqual([expect.stringMatching(/no range calibration/)]);
  });

  it('documents the range, its level and the reason field in OpenAPI', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    const schemas = doc.components.schemas;
    expect(schemas.PriceRequestDto.properties.level).toMatchObject({
      minimum: 0.5,
      maximum: 0.99,
      default: 0.9,
    });
    expect(schemas.BatchPriceRequestDto.properties.level).toMatchObject({ minimum: 0.5 });
    for (const answer of ['PriceResponseDto', 'PricedItemDto']) {
      expect(JSON.stringify(schemas[answer].properties.range)).toContain('PriceRangeDto');
      expect(schemas[answer].properties.rangeUnavailable.type).toBe('string');
      expect(schemas[answer].required).toContain('range');
      expect(schemas[answer].required).not.toContain('rangeUnavailable');
    }
    expect(Object.keys(schemas.PriceRangeDto.properties)).toEqual(['low', 'high', 'level']);
    expect(doc.paths).toHaveProperty(['/v1/models/{family}/versions/{version}/trust']);
    expect(doc.paths).toHaveProperty(['/v1/admin/datasets/{batchId}/drift']);
  });

  it('stores the calibration with the version, served by the registry and by a second instance', async () => {
    const stored = await registry.getVersion('xgboost', 1);
    expect(stored.calibration).toMatchObject({ method: 'split-conformal-log' });
    expect(stored.calibration!.rows).toBe(stored.metrics.holdoutRows);
    expect(stored.calibration!.quantiles).toHaveLength(50);
    const detail = await http().get('/v1/models/xgboost/versions/1').expect(200);
    expect(detail.body.calibration).toEqual(JSON.parse(JSON.stringify(stored.calibration)));

    const mine = await http()
      .post('/v1/prices')
      .send({ ...SAMPLE_DIAMOND, model: { family: 'xgboost', version: 1 }, level: 0.85 })
      .expect(200);
    const second = await createTestApp(
      // Its own VAR_DIR (one live process per VAR_DIR); the same SQLite file or schema.
      { DATABASE_SCHEMA: t.config.DATABASE_SCHEMA, VAR_DIR: join(t.workDir, 'var-2') },
      { workDir: t.workDir, keepState: true },
    );
    try {
      const theirs = await request(second.app.getHttpServer())
        .post('/v1/prices')
        .send({ ...SAMPLE_DIAMOND, model: { family: 'xgboost', version: 1 }, level: 0.85 })
        .expect(200);
      expect(theirs.body.range).toEqual(mine.body.range);
    } finally {
      await second.close();
    }
  });

  withPool.each(FAMILIES)(
    '%s: on ~5,000 held-out rows, 88-92 %% of true prices fall in the 90 %% range and 78-82 %% in the 80 %% range',
    async (family) => {
      const slice = unseenPoolRows().rows.filter((_, i) => i % 5 === 0);
      const inside = { 0.9: 0, 0.8: 0 };
      for (const level of [0.9, 0.8] as const) {
        for (let from = 0; from < slice.length; from += 1000) {
          const part = slice.slice(from, from + 1000);
          const res = await http()
            .post('/v1/prices/batch')
            .send({
              items: part.map(({ price: _p, ...features }) => features),
              model: { family },
              level,
            })
            .expect(200);
          (res.body.items as { range: Range }[]).forEach((item, i) => {
            if (part[i].price >= item.range.low && part[i].price <= item.range.high)
              inside[level]++;
          });
        }
      }
      const at90 = inside[0.9] / slice.length;
      const at80 = inside[0.8] / slice.length;
      expect(at90).toBeGreaterThanOrEqual(0.88);
      expect(at90).toBeLessThanOrEqual(0.92);
      expect(at80).toBeGreaterThanOrEqual(0.78);
      expect(at80).toBeLessThanOrEqual(0.82);
    },
  );

  it('serves each version’s trust figures from the registry', async () => {
    const linear = await http().get('/v1/models/linear/versions/1/trust').expect(200);
    expect(linear.body).toMatchObject({
      family: 'linear',
      version: 1,
      searchHistory: [],
      featureImportance: { method: 'standardised-coefficient' },
      notes: [],
    });
    // The linear model reads log(price) from carat and length: one of them leads.
    expect(['carat', 'x']).toContain(linear.body.featureImportance.features[0].feature);
    const bands = linear.body.errorByPriceBand as { rows: number }[];
    const stored = await registry.getVersion('linear', 1);
    expect(bands.reduce((n, b) => n + b.rows, 0)).toBe(stored.metrics.holdoutRows);
    expect(linear.body.rangeCalibration.map((c: { level: number }) => c.level)).toEqual([
      0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
    ]);
    for (const check of linear.body.rangeCalibration as { level: number; coverage: number }[])
      expect(Math.abs(check.coverage - check.level)).toBeLessThan(0.05);

    const xgb = await http().get('/v1/models/xgboost/versions/1/trust').expect(200);
    expect(xgb.body.featureImportance.method).toBe('permutation');
    // Price follows weight and size: one of carat, x, y, z must lead.
    expect(['carat', 'x', 'y', 'z']).toContain(xgb.body.featureImportance.features[0].feature);
    await http().get('/v1/models/xgboost/versions/9/trust').expect(404);
  });
});
