import fc from 'fast-check';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/audit-writer';
import { TrainingRunRepository } from '../../src/training/training-run.repository';
import { takeResponseViolations } from '../support/openapi-response-validator';
import { FuzzDocument, fuzzOperations, FuzzRequest } from '../support/openapi-fuzz';
import { ADMIN_TOKEN, ingestBatch, train } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

/**
 * Property-based fuzzing of every public and admin endpoint over HTTP (supertest on the app
 * createTestApp builds, so it holds on any HTTP adapter). For every generated request: no 5xx,
 * an error has the one shape, the request is in the audit trail, and the app still answers.
 * CI runs 15 cases per endpoint; `npm run fuzz` runs 300 (FUZZ_RUNS and FUZZ_SEED override both).
 * Last, every operation of the served OpenAPI document is fuzzed from its own schemas (every
 * answer also checked against the document by the test app's validator): 6 cases per operation
 * in CI, 200 with `npm run fuzz` (FUZZ_DOC_RUNS overrides).
 */
const LONG = process.env.npm_lifecycle_event === 'fuzz';
const RUNS = Number(process.env.FUZZ_RUNS ?? (LONG ? 300 : 15));
const DOC_RUNS = Number(process.env.FUZZ_DOC_RUNS ?? (LONG ? 200 : 6));
/** A 503 the document gives a code for: no model yet, admin disabled, not ready. */
const DOCUMENTED_503 = ['MODEL_UNAVAILABLE', 'ADMIN_DISABLED', 'NOT_READY'];
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const AUTH = `Bearer ${ADMIN_TOKEN}`;
jest.setTimeout(Math.max(120_000, RUNS * 4_000));

// ---- generators -------------------------------------------------------------------------------

/** Text a careless or hostile client sends: numbers in odd notations, NULs, huge, unicode. */
const nasty = fc.constantFrom(
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '0x10',
  '1e20',
  '1e308',
  '-1e308',
  'NaN',
  'Infinity',
  '2147483648',
  '99999999999',
  '-010000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2026-01-01T00:00:00Z',
  'a\u0000b',
  '\u0000',
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  'null',
  'true',
  '[]',
  '{}',
  'Ideal',
  'linear',
  'xgboost',
  'x'.repeat(5000),
  '💎',
);
const text = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 1e20, 2147483648, -2147483649, Number.MAX_SAFE_INTEGER, 0.7, 10, 100),
);
/** Any JSON value, deep nesting included. */
const json: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  text,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 20, max: 3000 }).map((depth) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
    return v;
  }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** A diamond's fields, each valid, absent or junk. */
const diamondish = fc.record(
  {
    carat: fc.oneof(fc.constantFrom(0.3, 0.7, 1.5, 10), json),
    cut: fc.oneof(fc.constantFrom('Ideal', 'Premium', 'Fair'), json),
    color: fc.oneof(fc.constantFrom('G', 'D', 'J'), json),
    clarity: fc.oneof(fc.constantFrom('VS1', 'IF', 'I1'), json),
    depth: fc.oneof(fc.constantFrom(61.5, 40, 80), json),
    table: fc.oneof(fc.constantFrom(57, 40, 100), json),
    x: fc.oneof(fc.constantFrom(5.7, 0.0001, 100), json),
    y: fc.oneof(fc.constantFrom(5.72, 100), json),
    z: fc.oneof(fc.constantFrom(3.52, 100), json),
    model: fc.oneof(
      fc.record(
        { family: fc.oneof(fc.constantFrom('linear', 'xgboost', 'nope'), json), version: json },
        { requiredKeys: [] },
      ),
      json,
    ),
  },
  { requiredKeys: [] },
);
const body: fc.Arbitrary<unknown> = fc.oneof(
  diamondish,
  json,
  fc.dictionary(text, json, { maxKeys: 5 }),
);

/** A query string: known keys and junk keys, any values (encoded, so NULs travel as %00). */
const query = (keys: string[]) =>
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), text), fc.oneof(text, number.map(String))), {
      maxLength: 8,
    })
    .map((pairs) =>
      pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
    );
const pathId = fc.oneof(nasty, fc.integer().map(String), fc.string({ maxLength: 12 }));
const family = fc.oneof(fc.constantFrom('linear', 'xgboost', 'xgboost-log'), text);

const CSV_HEADER = 'carat,cut,color,clarity,depth,table,price,x,y,z';
const csvCell = fc.oneof(
  fc.constantFrom(
    '0.7',
    'Ideal',
    'G',
    'VS1',
    '61.5',
    '57',
    '2800',
    '5.7',
    '1e308',
    '"',
    '""',
    '"a,b"',
  ),
  text.map((s) => s.split('\u0000').join('')),
);
const csv = fc
  .tuple(
    fc.oneof(
      fc.constant(CSV_HEADER),
      fc.array(text, { maxLength: 11 }).map((a) => a.join(',')),
    ),
    fc.array(fc.array(csvCell, { minLength: 0, maxLength: 12 }), { maxLength: 20 }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([header, rows, eol]) => [header, ...rows.map((r) => r.join(','))].join(eol));

/** Header values a client may send (printable, so the HTTP client itself accepts them). */
const headerValue = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    `Bearer ${ADMIN_TOKEN}`,
    `Bearer  ${ADMIN_TOKEN} `,
    'Basic x',
    'a'.repeat(300),
  ),
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 60,
  }),
);

// ---- the properties ---------------------------------------------------------------------------

interface Probe {
  method: 'get' | 'post';
  path: string;
  query?: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  admin?: boolean;
  headers?: Record<string, string>;
}

describe(`Fuzzing every endpoint (${ENGINE}, ${RUNS} runs each, seed ${SEED})`, () => {
  let t: TestApp;
  let sent: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_TOKEN, SEARCH_TRIALS: '1', AUDIT_FLUSH_INTERVAL_MS: '50' });
    await ingestBatch(t, 1);
    await train(t, { families: ['linear'] });
  }, 120_000);
  afterAll(() => t.close());
  beforeEach(() => (sent = []));

  async function send(p: Probe): Promise<request.Response> {
    const requestId = `fuzz-${++counter}`;
    sent.push(requestId);
    const url = p.query ? `${p.path}?${p.query}` : p.path;
    let req = request(t.app.getHttpServer())[p.method](url).set('X-Request-Id', requestId);
    if (p.admin) req = req.set('Authorization', AUTH);
    for (const [k, v] of Object.entries(p.headers ?? {})) req = req.set(k, v);
    if (p.rawBody !== undefined)
      req = req.set('Content-Type', p.contentType ?? 'application/json').send(p.rawBody);
    else if (p.body !== undefined)
      // Scalars go as raw JSON text (the client library only serialises objects itself).
      req =
        typeof p.body === 'object' && p.body !== null
          ? req.send(p.body)
          : req.set('Content-Type', 'application/json').send(JSON.stringify(p.body));
    const res = await req;
    const where = `${p.method.toUpperCase()} ${url.slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
    if (res.status >= 500 && res.status !== 503) throw new Error(`5xx: ${where}`);
    if (res.status === 503 && res.body?.code !== 'MODEL_UNAVAILABLE')
      throw new Error(`unexpected 503: ${where}`);
    if (res.status >= 400) {
      const b = res.body as Record<string, unknown>;
      const shaped =
        b?.statusCode === res.status &&
        typeof b.error === 'string' &&
        typeof b.message === 'string' &&
        (b.requestId === undefined || b.requestId === requestId);
      if (!shaped) throw new Error(`not the one error shape: ${where}`);
    }
    return res;
  }

  /** Every request sent by the property is in the audit trail, and the app still answers. */
  async function afterProperty(): Promise<void> {
    await request(t.app.getHttpServer()).get('/health/live').expect(200);
    expect(await t.app.get(AuditWriter).drain(20_000)).toBe(true);
    const db = t.app.get(DataSource);
    const missing: string[] = [];
    for (let i = 0; i < sent.length; i += 200) {
      const chunk = sent.slice(i, i + 200);
      const marks = chunk.map((_, j) => (ENGINE === 'postgres' ? `$${j + 1}` : '?')).join(',');
      const rows: { request_id: string }[] = await db.query(
        `SELECT request_id FROM audit_record WHERE request_id IN (${marks})`,
        chunk,
      );
      const found = new Set(rows.map((r) => r.request_id));
      missing.push(...chunk.filter((id) => !found.has(id)));
    }
    expect(missing).toEqual([]);
  }

  const check = async (arb: fc.Arbitrary<Probe>) => {
    await fc.assert(
      fc.asyncProperty(arb, async (p) => {
        await send(p);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await afterProperty();
  };

  it('POST /v1/prices', () =>
    check(body.map((b) => ({ method: 'post', path: '/v1/prices', body: b }))));

  it('POST /v1/prices/batch', () =>
    check(
      fc
        .oneof(
          fc.record(
            { items: fc.array(diamondish, { maxLength: 5 }), model: maybe(json) },
            { requiredKeys: [] },
          ),
          body,
        )
        .map((b) => ({ method: 'post', path: '/v1/prices/batch', body: b })),
    ));

  it('raw JSON bodies (malformed, deep, NUL-laden)', () =>
    check(
      fc
        .tuple(
          fc.constantFrom(
            '/v1/prices',
            '/v1/prices/batch',
            '/v1/admin/training-runs',
            '/v1/admin/models/linear/promote',
          ),
          fc.oneof(
            text,
            fc.integer({ min: 100, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
            fc
              .integer({ min: 100, max: 20_000 })
              .map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
          ),
        )
        .map(([path, raw]) => ({ method: 'post', path, rawBody: raw, admin: true })),
    ));

  it('GET /v1/similar-diamonds', () =>
    check(
      query(['cut', 'color', 'clarity', 'carat', 'n']).map((q) => ({
        method: 'get',
        path: '/v1/similar-diamonds',
        query: q,
      })),
    ));

  it('GET /v1/models/...', () =>
    check(
      fc.tuple(family, pathId, query(['a', 'b', 'family'])).chain(([f, id, q]) =>
        fc.constantFrom<Probe>(
          { method: 'get', path: '/v1/models' },
          { method: 'get', path: '/v1/models/ledger', query: q },
          { method: 'get', path: `/v1/models/${encodeURIComponent(f)}/versions` },
          {
            method: 'get',
            path: `/v1/models/${encodeURIComponent(f)}/versions/${encodeURIComponent(id)}`,
          },
          { method: 'get', path: `/v1/models/${encodeURIComponent(f)}/compare`, query: q },
        ),
      ),
    ));

  it('outcomes: record, summary, into a dataset batch', () =>
    check(
      body.chain((b) =>
        fc.constantFrom<Probe>(
          { method: 'post', path: '/v1/outcomes', body: b, admin: true },
          { method: 'get', path: '/v1/outcomes/summary', admin: true },
          { method: 'post', path: '/v1/admin/outcomes/dataset', admin: true },
        ),
      ),
    ));

  it('admin: training runs, promote, rollback', () =>
    check(
      fc.tuple(family, pathId, body, query(['limit'])).chain(([f, id, b, q]) =>
        fc.constantFrom<Probe>(
          { method: 'get', path: '/v1/admin/training-runs', query: q, admin: true },
          {
            method: 'get',
            path: `/v1/admin/training-runs/${encodeURIComponent(id)}`,
            admin: true,
          },
          { method: 'post', path: '/v1/admin/training-runs', body: b, admin: true },
          {
            method: 'post',
            path: `/v1/admin/models/${encodeURIComponent(f)}/promote`,
            body: b,
            admin: true,
          },
          {
            method: 'post',
            path: `/v1/admin/models/${encodeURIComponent(f)}/rollback`,
            body: b,
            admin: true,
          },
        ),
      ),
    ));

  it('admin: audit records', () =>
    check(
      fc
        .tuple(
          query([
            'route',
            'status',
            'from',
            'to',
            'requestId',
            'modelFamily',
            'modelVersion',
            'limit',
            'cursor',
          ]),
          pathId,
          fc
            .jsonValue({ maxDepth: 2 })
            .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
        )
        .chain(([q, id, cursor]) =>
          fc.constantFrom<Probe>(
            { method: 'get', path: '/v1/admin/audit-records', query: q, admin: true },
            {
              method: 'get',
              path: '/v1/admin/audit-records',
              query: `cursor=${cursor}`,
              admin: true,
            },
            {
              method: 'get',
              path: `/v1/admin/audit-records/${encodeURIComponent(id)}`,
              admin: true,
            },
            { method: 'get', path: '/v1/admin/audit-stats', admin: true },
          ),
        ),
    ));

  it('admin: datasets (CSV uploads, rejected rows, retraction)', () =>
    check(
      fc.tuple(csv, pathId, body, query(['filename', 'limit'])).chain(([file, id, b, q]) =>
        fc.constantFrom<Probe>(
          {
            method: 'post',
            path: '/v1/admin/datasets',
            query: q,
            rawBody: file,
            contentType: 'text/csv',
            admin: true,
          },
          { method: 'get', path: '/v1/admin/datasets', admin: true },
          {
            method: 'get',
            path: `/v1/admin/datasets/${encodeURIComponent(id)}/rejected-rows`,
            query: q,
            admin: true,
          },
          {
            method: 'post',
            path: `/v1/admin/datasets/${encodeURIComponent(id)}/retract`,
            body: b,
            admin: true,
          },
        ),
      ),
    ));

  it('headers: request id, authorization, content type, accept', () =>
    check(
      fc
        .tuple(
          fc.record(
            {
              'X-Request-Id': headerValue,
              Authorization: headerValue,
              'Content-Type': headerValue,
              Accept: headerValue,
            },
            { requiredKeys: [] },
          ),
          fc.constantFrom('/v1/prices', '/v1/admin/datasets', '/v1/admin/training-runs'),
        )
        .map(([headers, path]) => {
          // The request id is ours (the audit check needs it): fuzz it under another name too.
          const { 'X-Request-Id': rid, ...rest } = headers;
          return {
            method: 'post' as const,
            path,
            headers: { ...rest, ...(rid !== undefined ? { 'X-Correlation-Id': rid } : {}) },
            rawBody: '{"carat":0.7,"cut":"Ideal","color":"G","clarity":"VS1","x":5.7}',
            contentType: headers['Content-Type'] ?? 'application/json',
          };
        }),
    ));

  it('every operation of the served OpenAPI document, from its own schemas: no 5xx, every answer as documented', async () => {
    const server = t.app.getHttpServer();
    const document = (await request(server).get('/docs-json').expect(200)).body as FuzzDocument;
    const operations = fuzzOperations(document);
    // Reads first, then public writes, then admin writes (a rollback leaves a family without champion).
    const rank = (name: string) => (name.startsWith('GET') ? 0 : name.includes('/admin/') ? 2 : 1);
    operations.sort((a, b) => rank(a.name) - rank(b.name));
    expect(operations.map((o) => o.name)).toEqual(
      expect.arrayContaining([
        'POST /v1/prices',
        'GET /v1/similar-diamonds',
        'POST /v1/admin/training-runs',
      ]),
    );
    // The training lock held: a generated valid start answers 409 instead of training for minutes.
    const lock = await t.app.get(TrainingRunRepository).tryLock();
    const send = async (r: FuzzRequest): Promise<void> => {
      let req = request(server)[r.method as 'get' | 'post'](r.url);
      if (r.secured) req = req.set('Authorization', AUTH);
      if (r.body && 'json' in r.body)
        req = req.set('Content-Type', 'application/json').send(JSON.stringify(r.body.json));
      else if (r.body) req = req.set('Content-Type', r.body.contentType).send(r.body.raw);
      const res = await req;
      const mismatches = takeResponseViolations();
      if (mismatches.length) throw new Error(mismatches.join('\n'));
      if (res.status >= 500 && !(res.status === 503 && DOCUMENTED_503.includes(res.body?.code)))
        throw new Error(
          `${res.status} for ${r.method.toUpperCase()} ${r.url}: ${res.text.slice(0, 300)}`,
        );
    };
    // Every operation is run, and every one that fails is reported (its shrunk request and why).
    const failures: string[] = [];
    try {
      for (const op of operations) {
        const result = await fc.check(fc.asyncProperty(op.arbitrary, send), {
          numRuns: DOC_RUNS,
          seed: SEED,
          endOnFailure: true,
        });
        if (result.failed) {
          const short = (text: string) => text.replace(/(.)\1{20,}/g, '$1$1$1…').slice(0, 1200);
          failures.push(
            `${op.name}: ${short(JSON.stringify(result.counterexample))}\n  ${short(String(result.errorInstance))}`,
          );
        }
      }
    } finally {
      await lock?.release();
    }
    expect(failures).toEqual([]);
  });
});
