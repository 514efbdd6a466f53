import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { typedClient } from '../support/typed-client';

const HEADER = 'carat,cut,color,clarity,depth,table,price,x,y,z';
/** One line per diamond; ids follow line order (the first data line gets the lowest id). */
const line = (carat: number, price: number, grade = 'Ideal,G,VS1') =>
  `${carat},${grade},61.5,56.0,${price},5.1,5.13,3.15`;

/**
 * Ids of the rows of the first file, 1-based in line order: on both engines the first ingested
 * row gets id 1 in a fresh database.
 */
const FIRST = [
  line(0.5, 1500), // id 1
  line(0.4, 1100), // id 2
  line(0.6, 1900), // id 3
  line(0.5, 1520), // id 4: same carat as id 1, later row
  line(0.3, 700), // id 5
  line(0.7, 2500), // id 6
  line(0.45, 1300), // id 7
  line(0.55, 1700), // id 8
  line(1.2, 6000, 'Premium,D,IF'), // id 9: another grade
];

describe(`Similar diamonds API (${ENGINE})`, () => {
  let t: TestApp;
  const get = (query: Record<string, string | number>) =>
    request(t.app.getHttpServer()).get('/v1/similar-diamonds').query(query);
  const ids = (res: request.Response) => (res.body.items as { id: number }[]).map((d) => d.id);
  const q = { cut: 'Ideal', color: 'G', clarity: 'VS1' };

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    const file = join(t.workDir, 'similar.csv');
    writeFileSync(file, [HEADER, ...FIRST].join('\n') + '\n');
    await t.app.get(DiamondsService).ingestFile(file, 'cli');
  });
  afterAll(() => t?.close());

  it('returns the n closest carats of the same grade, closest first, with every attribute and the price', async () => {
    const res = await get({ ...q, carat: 0.52, n: 3 }).expect(200);
    expect(res.body.count).toBe(3);
    expect(ids(res)).toEqual([1, 4, 8]);
    expect(res.body.items[0]).toEqual({
      id: 1,
      carat: 0.5,
      cut: 'Ideal',
      color: 'G',
      clarity: 'VS1',
      depth: 61.5,
      table: 56,
      x: 5.1,
      y: 5.13,
      z: 3.15,
      price: 1500,
    });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('round-trips through the typed client generated from the OpenAPI document', async () => {
    const api = typedClient(t);
    const { data, error } = await api.GET('/v1/similar-diamonds', {
      params: { query: { cut: 'Ideal', color: 'G', clarity: 'VS1', carat: 0.52, n: 3 } },
    });
    expect(error).toBeUndefined();
    expect(data!.count).toBe(3);
    expect(data!.items.map((d) => d.id)).toEqual([1, 4, 8]);
    expect(data!.items[2]).toMatchObject({ carat: 0.55, price: 1700 });
    const refused = await api.GET('/v1/similar-diamonds', {
      params: { query: { cut: 'Ideal', color: 'G', clarity: 'VS1', carat: 0.5, n: 101 } },
    });
    expect(refused.response.status).toBe(400);
    expect(refused.error?.message).toContain('n must be ≤ 100');
  });

  it('breaks ties deterministically: equal distance, lighter first; equal carat, lower id first', async () => {
    // 0.5 is 0.05 from both 0.45 (id 7) and 0.55 (id 8); 0.4 and 0.6 are 0.1 away.
    expect(ids(await get({ ...q, carat: 0.5, n: 8 }).expect(200))).toEqual([
      1, 4, 7, 8, 2, 3, 5, 6,
    ]);
    // Halfway between 0.5 (ids 1, 4) and 0.6 (id 3): the 0.5s first, in id order.
    expect(ids(await get({ ...q, carat: 0.55, n: 4 }).expect(200))).toEqual([8, 1, 4, 3]);
  });

  it('defaults n to 5 and returns fewer when the grade has fewer diamonds', async () => {
    expect(ids(await get({ ...q, carat: 0.5 }).expect(200))).toEqual([1, 4, 7, 8, 2]);
    const other = await get({
      cut: 'Premium',
      color: 'D',
      clarity: 'IF',
      carat: 0.3,
      n: 100,
    }).expect(200);
    expect(ids(other)).toEqual([9]);
  });

  it('answers an empty list, not an error, for a grade with no diamond', async () => {
    const res = await get({ cut: 'Fair', color: 'J', clarity: 'I1', carat: 1 }).expect(200);
    expect(res.body).toEqual({ items: [], count: 0 });
  });

  it.each([
    [
      'an unknown cut',
      { ...q, cut: 'Round', carat: 0.5 },
      'cut',
      'cut must be one of: Fair, Good, Very Good, Premium, Ideal',
    ],
    [
      'an unknown color',
      { ...q, color: 'g', carat: 0.5 },
      'color',
      'color must be one of: J, I, H, G, F, E, D',
    ],
    [
      'a missing clarity',
      { cut: 'Ideal', color: 'G', carat: 0.5 },
      'clarity',
      'clarity is required: one of I1, SI2, SI1, VS2, VS1, VVS2, VVS1, IF',
    ],
    ['a missing carat', { ...q }, 'carat', 'carat is required: a number > 0 and ≤ 10 carats'],
    [
      'an empty carat',
      { ...q, carat: '' },
      'carat',
      'carat is required: a number > 0 and ≤ 10 carats',
    ],
    ['a hexadecimal n', { ...q, carat: 0.5, n: '0x10' }, 'n', 'n must be an integer from 1 to 100'],
    [
      'a carat that is not a number',
      { ...q, carat: 'big' },
      'carat',
      'carat must be a number (carats)',
    ],
    ['a negative carat', { ...q, carat: -1 }, 'carat', 'carat must be > 0 and ≤ 10 (carats)'],
    ['n = 0', { ...q, carat: 0.5, n: 0 }, 'n', 'n must be ≥ 1'],
    ['n above 100', { ...q, carat: 0.5, n: 101 }, 'n', 'n must be ≤ 100'],
    ['a fractional n', { ...q, carat: 0.5, n: 2.5 }, 'n', 'n must be an integer from 1 to 100'],
    [
      'an unknown parameter',
      { ...q, carat: 0.5, colour: 'G' },
      'colour',
      'property colour should not exist',
    ],
  ])('refuses %s with a 400 naming the field and the rule', async (_label, query, field, rule) => {
    const res = await get(query).expect(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      requestId: res.headers['x-request-id'],
    });
    expect(res.body.message).toContain(rule);
    const entry = (res.body.details as { field: string; rules: Record<string, string> }[]).find(
      (d) => d.field === field,
    );
    expect(Object.values(entry?.rules ?? {})).toContain(rule);
  });

  it('sees newly ingested diamonds', async () => {
    const file = join(t.workDir, 'more.csv');
    writeFileSync(file, [HEADER, line(0.52, 1600), line(0.5, 1510)].join('\n') + '\n');
    const report = await t.app.get(DiamondsService).ingestFile(file, 'cli');
    expect(report.accepted).toBe(2);
    // The index is rebuilt in the background right after the ingestion: give it a moment.
    const deadline = Date.now() + 3000;
    let found: number[] = [];
    while (Date.now() < deadline) {
      found = ids(await get({ ...q, carat: 0.52, n: 4 }).expect(200));
      if (found.length && found[0] !== 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const [exact] = (await get({ ...q, carat: 0.52, n: 1 })).body.items;
    expect(exact).toMatchObject({ carat: 0.52, price: 1600 });
    // Then the three 0.5s: ids 1 and 4 of the first file before the new row.
    expect(found.slice(1)).toEqual([1, 4, exact.id + 1]);
  });

  it('answers 503 MODEL_UNAVAILABLE to a pricing request before any model is trained', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/v1/prices')
      .send({ carat: 0.5, cut: 'Ideal', color: 'G', clarity: 'VS1', x: 5.1 })
      .expect(503);
    expect(res.body).toMatchObject({
      statusCode: 503,
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringContaining('No model is available yet'),
      requestId: res.headers['x-request-id'],
    });
  });

  it('documents the endpoints in OpenAPI (/docs-json) and serves Swagger UI at /docs', async () => {
    const doc = (await request(t.app.getHttpServer()).get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/prices', '/v1/prices/batch', '/v1/similar-diamonds']),
    );
    const pricing = doc.paths['/v1/prices'].post;
    expect(Object.keys(pricing.responses)).toEqual(
      expect.arrayContaining(['200', '400', '404', '503']),
    );
    expect(pricing.requestBody.content['application/json'].examples).toHaveProperty('full');
    expect(doc.components.schemas.PriceRequestDto.properties.cut.enum).toEqual([
      'Fair',
      'Good',
      'Very Good',
      'Premium',
      'Ideal',
    ]);
    expect(doc.components.schemas.ErrorResponseDto.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'message', 'requestId']),
    );
    const similar = doc.paths['/v1/similar-diamonds'].get;
    expect(similar.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['cut', 'color', 'clarity', 'carat', 'n']),
    );
    const ui = await request(t.app.getHttpServer()).get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
  });
});
