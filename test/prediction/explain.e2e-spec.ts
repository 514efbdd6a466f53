import { join } from 'node:path';
import request from 'supertest';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { TrainingService } from '../../src/training/training.service';
import { MAX_EXPLAIN_ITEMS } from '../../src/prediction/prediction.dto';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

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
const TREE_COLUMNS = ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'x', 'y', 'z'];

interface Served {
  price: number;
  explanation: {
    baseline: number;
    contributions: { feature: string; value: number | string | null; effect: number }[];
  };
}

/** baseline + the effects = the price, to the cent (everything is in whole cents). */
function expectSumRule({ price, explanation }: Served): void {
  const cents = (v: number) => Math.round(v * 100);
  const total = explanation.contributions.reduce(
    (sum, c) => sum + cents(c.effect),
    cents(explanation.baseline),
  );
  expect(total).toBe(cents(price));
  expect(explanation.baseline).toBeGreaterThan(0);
}

/** `explain` on the pricing endpoints, on a real app: xgboost-log and linear, 1,000 diamonds. */
describe(`Explanations of prices (${ENGINE})`, () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const price = (body: object) => http().post('/v1/prices').send(body);
  const batch = (body: object) => http().post('/v1/prices/batch').send(body);

  beforeAll(async () => {
    t = await createTestApp();
    await t.app
      .get(DiamondsService)
      .ingestFile(join(__dirname, '..', '..', 'data', 'batches', 'batch-001.csv'), 'cli');
    const training = t.app.get(TrainingService);
    const { runId } = await training.startRun('cli', {
      trials: 0,
      families: ['linear', 'xgboost-log'],
    });
    expect((await training.waitForRun(runId)).status).toBe('succeeded');
  }, 120_000);
  afterAll(() => t?.close());

  it('explains one price from the baseline, one line a column, adding up to the price', async () => {
    const asked = { ...diamond, model: { family: 'xgboost-log' } };
    const plain = await price(asked).expect(200);
    expect(plain.body).not.toHaveProperty('explanation');
    const res = await price({ ...asked, explain: true }).expect(200);
    const { explanation, ...rest } = res.body;
    expect(rest).toEqual({ ...plain.body, requestId: res.body.requestId });
    expect(explanation.contributions.map((c: { feature: string }) => c.feature)).toEqual(
      TREE_COLUMNS,
    );
    expect(explanation.contributions[3]).toMatchObject({ feature: 'clarity', value: 'VS1' });
    expectSumRule(res.body);
  });

  it('a measurement not sent has no effect of its own: it is carried by what it was estimated from', async () => {
    const { x: _x, y: _y, z: _z, ...bare } = diamond;
    const res = await price({ ...bare, model: { family: 'xgboost-log' }, explain: true }).expect(
      200,
    );
    expectSumRule(res.body);
    const line = (f: string) =>
      res.body.explanation.contributions.find((c: { feature: string }) => c.feature === f);
    expect(line('x')).toEqual({ feature: 'x', value: null, effect: 0 });
    expect(line('z')).toEqual({ feature: 'z', value: null, effect: 0 });
  });

  it('explains the linear model on its own columns', async () => {
    const res = await price({ ...diamond, model: { family: 'linear' }, explain: true }).expect(200);
    expect(res.body.explanation.contributions.map((c: { feature: string }) => c.feature)).toEqual([
      'carat',
      'cut',
      'color',
      'clarity',
      'x',
    ]);
    expectSumRule(res.body);
  });

  it('explains every item of a batch as it explains one diamond', async () => {
    const items = [
      diamond,
      { ...diamond, carat: 1.21, clarity: 'SI2', color: 'J', x: 6.8, y: 6.85, z: 4.2 },
      { carat: 0.31, cut: 'Good', color: 'D', clarity: 'IF' },
    ];
    const model = { family: 'xgboost-log' };
    const res = await batch({ items, model, explain: true }).expect(200);
    for (const [i, item] of res.body.items.entries()) {
      expectSumRule(item);
      const one = await price({ ...items[i], model, explain: true }).expect(200);
      expect(item.explanation).toEqual(one.body.explanation);
    }
    const plain = await batch({ items, model }).expect(200);
    expect(plain.body.items[0]).not.toHaveProperty('explanation');
  });

  it(`refuses to explain more than ${MAX_EXPLAIN_ITEMS} items, and a non-boolean explain`, async () => {
    const items = Array.from({ length: MAX_EXPLAIN_ITEMS + 1 }, () => diamond);
    const res = await batch({ items, explain: true }).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details[0].field).toBe('items');
    expect(res.body.message).toContain(`at most ${MAX_EXPLAIN_ITEMS}`);
    await batch({ items }).expect(200);
    const bad = await price({ ...diamond, explain: 'yes' }).expect(400);
    expect(bad.body.details[0].field).toBe('explain');
  });

  it('documents explain and explanation in the OpenAPI document', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    const schemas = doc.components.schemas;
    expect(schemas.PriceRequestDto.properties.explain.type).toBe('boolean');
    expect(schemas.BatchPriceRequestDto.properties.explain.type).toBe('boolean');
    for (const answer of ['PriceResponseDto', 'PricedItemDto']) {
      expect(JSON.stringify(schemas[answer].properties.explanation)).toContain(
        '"#/components/schemas/ExplanationDto"',
      );
      expect(schemas[answer].required).not.toContain('explanation');
    }
    expect(schemas.ContributionDto.required).toEqual(['feature', 'value', 'effect']);
    expect(schemas.ExplanationDto.required).toEqual(['baseline', 'contributions']);
    expect(schemas.ContributionDto.properties.value.nullable).toBe(true);
  });
});
