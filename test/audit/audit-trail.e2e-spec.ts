import { randomUUID } from 'node:crypto';
import { request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditRecordDto } from '../../src/audit/audit.dto';
import { AuditStatsService } from '../../src/audit/audit-stats.service';
import { AuditWriter } from '../../src/audit/audit-writer';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { AuditProbeController } from './audit-probe.controller';

const ADMIN_TOKEN = 'audit-admin-token-0123456789';
const WRONG_TOKEN = 'wrong-token-abcdefghijklmnop';
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe(`Audit trail (${ENGINE})`, () => {
  let t: TestApp;
  let db: DataSource;
  let startedAt: Date;

  const http = () => request(t.app.getHttpServer());
  const rid = () => `test-${randomUUID()}`;
  const drain = async () => expect(await t.app.get(AuditWriter).drain(10000)).toBe(true);

  /** The one record of a request id, read back through the admin endpoint. */
  async function recordOf(requestId: string): Promise<AuditRecordDto> {
    await drain();
    const res = await http()
      .get('/v1/admin/audit-records')
      .query({ requestId })
      .set(admin)
      .expect(200);
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0] as AuditRecordDto;
  }

  async function countOf(requestId: string): Promise<number> {
    await drain();
    const rows = await db.query(
      `SELECT COUNT(*) AS n FROM audit_record WHERE request_id = ${ENGINE === 'postgres' ? '$1' : '?'}`,
      [requestId],
    );
    return Number(rows[0].n);
  }

  beforeAll(async () => {
    startedAt = new Date();
    t = await createTestApp(
      {
        ADMIN_TOKEN,
        BODY_LIMIT: '2kb',
        AUDIT_BODY_MAX_BYTES: '512',
        AUDIT_FLUSH_INTERVAL_MS: '50',
      },
      { metadata: { controllers: [AuditProbeController] } },
    );
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it("records a 200 with every field, the caller's request id echoed, and secrets in the query redacted", async () => {
    const id = rid();
    const res = await http()
      .get('/v1/audit-test/ok?carat=1.5&access_token=s3cr3t-value')
      .set('X-Request-Id', id)
      .set('User-Agent', 'audit-test/1.0')
      .expect(200);
    expect(res.headers['x-request-id']).toBe(id);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      requestId: id,
      method: 'GET',
      route: '/v1/audit-test/ok',
      status: 200,
      responseBody: '{"ok":true}',
      requestBody: null,
      userAgent: 'audit-test/1.0',
      modelFamily: null,
      modelVersion: null,
      errorMessage: null,
      query: { carat: '1.5', access_token: '[REDACTED]' },
    });
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.url).toBe('/v1/audit-test/ok?carat=1.5&access_token=%5BREDACTED%5D');
    expect(r.clientIp).toMatch(/127\.0\.0\.1|::1/);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThan(10000);
    expect(new Date(r.occurredAt).getTime()).toBeGreaterThanOrEqual(startedAt.getTime() - 1000);
    expect(new Date(r.occurredAt).getTime()).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(r)).not.toContain('s3cr3t-value');
    const one = await http().get(`/v1/admin/audit-records/${r.id}`).set(admin).expect(200);
    expect(one.body).toEqual(r);
  });

  it('generates a request id when the caller sends none, returns it, and records under it', async () => {
    const res = await http().get('/v1/audit-test/ok').expect(200);
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await recordOf(id)).status).toBe(200);
  });

  it('records the model family and version that served a request', async () => {
    const id = rid();
    await http().get('/v1/audit-test/priced').set('X-Request-Id', id).expect(200);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      route: '/v1/audit-test/priced',
      status: 200,
      modelFamily: 'xgboost',
      modelVersion: 3,
      responseBody: '{"price":1234.5}',
    });
    const byModel = await http()
      .get('/v1/admin/audit-records')
      .query({ modelFamily: 'xgboost', modelVersion: 3 })
      .set(admin)
      .expect(200);
    expect(byModel.body.items.map((i: AuditRecordDto) => i.requestId)).toContain(id);
  });

  it('records a validation 400 with its request body (password redacted) and the message', async () => {
    const id = rid();
    await http()
      .post('/v1/audit-test/echo')
      .set('X-Request-Id', id)
      .send({ name: 'ring', carat: 'heavy', password: 'hunter2-hunter2' })
      .expect(400);
    const r = await recordOf(id);
    expect(r).toMatchObject({ method: 'POST', route: '/v1/audit-test/echo', status: 400 });
    expect(JSON.parse(r.requestBody as string)).toEqual({
      name: 'ring',
      carat: 'heavy',
      password: '[REDACTED]',
    });
    expect(r.errorMessage).toMatch(/carat must be an integer/);
    expect(JSON.parse(r.responseBody as string)).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      requestId: id,
    });
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('records a body the fast-path schema accepted as sent, and redacts one it did not', async () => {
    const diamond = {
      carat: 0.7,
      cut: 'Ideal',
      color: 'G',
      clarity: 'VS1',
      x: 5.7,
      y: 5.72,
      z: 3.5,
    };
    const clean = rid();
    // Priced or not (this app may have no model yet), the body passed validation's fast path.
    await http().post('/v1/prices').set('X-Request-Id', clean).send(diamond);
    expect((await recordOf(clean)).requestBody).toBe(JSON.stringify(diamond));
    const withSecret = rid();
    await http()
      .post('/v1/prices')
      .set('X-Request-Id', withSecret)
      .send({ ...diamond, apiKey: 'k-0123456789' })
      .expect(400);
    expect(JSON.parse((await recordOf(withSecret)).requestBody as string)).toEqual({
      ...diamond,
      apiKey: '[REDACTED]',
    });
  });

  it('records a 401 on an admin route without ever storing the bearer token', async () => {
    const id = rid();
    await http()
      .get('/v1/admin/audit-records?status=200')
      .set('X-Request-Id', id)
      .set('Authorization', `Bearer ${WRONG_TOKEN}`)
      .expect(401);
    const okId = rid();
    await http().get('/v1/admin/audit-stats').set('X-Request-Id', okId).set(admin).expect(200);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      route: '/v1/admin/audit-records',
      status: 401,
      errorMessage: 'Invalid admin token',
      url: '/v1/admin/audit-records?status=200',
    });
    const rows = await db.query('SELECT * FROM audit_record');
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain(WRONG_TOKEN);
    expect(everything).not.toContain(ADMIN_TOKEN);
    expect((await recordOf(okId)).status).toBe(200);
  });

  it('records a 404 on an unknown route, with no route pattern and its body', async () => {
    const id = rid();
    await http()
      .post('/v1/no-such-thing/42?x=1')
      .set('X-Request-Id', id)
      .send({ carat: 1 })
      .expect(404);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      method: 'POST',
      route: null,
      url: '/v1/no-such-thing/42?x=1',
      status: 404,
      requestBody: '{"carat":1}',
    });
    expect(r.errorMessage).toMatch(/Cannot POST \/v1\/no-such-thing\/42/);
  });

  it('records a 413 for a body over the limit, refused by the body parser before Nest sees it', async () => {
    const id = rid();
    const res = await http()
      .post('/v1/audit-test/echo')
      .set('X-Request-Id', id)
      .send({ name: 'x'.repeat(4096) })
      .expect(413);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      method: 'POST',
      status: 413,
      errorMessage: res.body.message,
      requestBody: null,
    });
    expect(r.errorMessage).toMatch(/too large/i);
    expect(JSON.parse(r.responseBody as string)).toEqual(res.body);
  });

  it('records a malformed JSON 400', async () => {
    const id = rid();
    const res = await http()
      .post('/v1/audit-test/echo')
      .set('X-Request-Id', id)
      .set('Content-Type', 'application/json')
      .send('{"name":')
      .expect(400);
    const r = await recordOf(id);
    expect(r).toMatchObject({
      method: 'POST',
      status: 400,
      errorMessage: res.body.message,
      requestBody: null,
    });
    expect(r.errorMessage).toMatch(/JSON/);
  });

  it('records a 500 with the real error message while the client gets the generic one', async () => {
    const id = rid();
    const res = await http().get('/v1/audit-test/boom').set('X-Request-Id', id).expect(500);
    expect(res.body.message).toBe('An unexpected error occurred');
    const r = await recordOf(id);
    expect(r).toMatchObject({
      route: '/v1/audit-test/boom',
      status: 500,
      errorMessage: 'boom: the disk is on fire',
    });
    expect(JSON.parse(r.responseBody as string)).toMatchObject({ statusCode: 500, requestId: id });
  });

  it('truncates bodies past AUDIT_BODY_MAX_BYTES with a marker', async () => {
    const id = rid();
    await http()
      .post('/v1/audit-test/echo')
      .set('X-Request-Id', id)
      .send({ name: 'y'.repeat(1500) })
      .expect(200);
    const r = await recordOf(id);
    expect(r.requestBody).toMatch(/…\[truncated: 1511 bytes\]$/);
    expect(r.responseBody).toMatch(/…\[truncated: 1511 bytes\]$/);
    expect((r.requestBody as string).length).toBeLessThan(600);
  });

  it('records hostile input the database could choke on: a NUL byte in the query and body, a very long URL', async () => {
    const id = rid();
    const long = 'z'.repeat(3000);
    await http()
      .post(`/v1/no-such-thing?q=a%00b&long=${long}`)
      .set('X-Request-Id', id)
      .send({ name: 'nul\u0000here' })
      .expect(404);
    const r = await recordOf(id);
    expect(r.query).toMatchObject({ q: 'a\\u0000b' });
    expect(r.requestBody).toBe('{"name":"nul\\\\u0000here"}');
    expect(r.url.length).toBeLessThanOrEqual(2048);
    expect(r.url).toMatch(/…\[truncated: \d+ bytes\]$/);
  });

  it("runs a handler in its request's log scope, after a body that arrived in pieces and across awaits", async () => {
    const id = rid();
    const server = t.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/audit-test/scope',
            headers: { 'content-type': 'application/json', 'x-request-id': id },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        // The body comes later than the headers, on another tick of the socket.
        req.write('{"name":');
        setTimeout(() => req.end('"scope"}'), 30);
      });
      expect(JSON.parse(answer)).toEqual({ name: 'scope', requestId: id });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not record the infrastructure routes: docs, probes, metrics, dashboard', async () => {
    const paths = [
      '/docs-json',
      '/docs',
      '/docs/swagger-ui.css',
      '/health/live',
      '/metrics',
      '/dashboard',
      '/dashboard/assets/dashboard.css',
      '/counter',
    ];
    const ids = paths.map(() => rid());
    for (const [i, path] of paths.entries())
      await http().get(path).set('X-Request-Id', ids[i]).expect(200);
    for (const id of ids) expect(await countOf(id)).toBe(0);
    // The same mark does not leak to the API: a request right after is recorded.
    const api = rid();
    await http().get('/v1/audit-test/ok').set('X-Request-Id', api).expect(200);
    expect(await countOf(api)).toBe(1);
  });

  it('N requests give exactly N records', async () => {
    await drain();
    const before = Number((await db.query('SELECT COUNT(*) AS n FROM audit_record'))[0].n);
    const ids = Array.from({ length: 60 }, rid);
    await Promise.all(
      ids.map((id, i) => {
        const kind = i % 4;
        if (kind === 0) return http().get('/v1/audit-test/ok').set('X-Request-Id', id).expect(200);
        if (kind === 1) return http().get(`/v1/unknown-${i}`).set('X-Request-Id', id).expect(404);
        if (kind === 2)
          return http()
            .post('/v1/audit-test/echo')
            .set('X-Request-Id', id)
            .send({ name: `n${i}` })
            .expect(200);
        return http().get('/v1/audit-test/priced').set('X-Request-Id', id).expect(200);
      }),
    );
    await drain();
    const after = Number((await db.query('SELECT COUNT(*) AS n FROM audit_record'))[0].n);
    expect(after - before).toBe(ids.length);
    const perId = await db.query(
      `SELECT request_id, COUNT(*) AS n FROM audit_record WHERE request_id IN (${ids.map((_, i) => (ENGINE === 'postgres' ? `$${i + 1}` : '?')).join(',')}) GROUP BY request_id`,
      ids,
    );
    expect(perId).toHaveLength(ids.length);
    expect(perId.every((row: { n: number | string }) => Number(row.n) === 1)).toBe(true);
  });

  it('lists newest first with filters and a cursor that walks every page once', async () => {
    const ids = Array.from({ length: 5 }, rid);
    for (const id of ids) {
      await http().get('/v1/audit-test/priced').set('X-Request-Id', id).expect(200);
      // Times are kept to the millisecond: two requests in one millisecond have no order to check.
      await new Promise((r) => setTimeout(r, 3));
    }
    await drain();
    const from = new Date(Date.now() - 60_000).toISOString();
    const seen: AuditRecordDto[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await http()
        .get('/v1/admin/audit-records')
        .query({
          route: '/v1/audit-test/priced',
          status: 200,
          from,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        })
        .set(admin)
        .expect(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(cursor).toBeNull();
    expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
    expect(seen.every((r) => r.route === '/v1/audit-test/priced' && r.status === 200)).toBe(true);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i - 1].occurredAt >= seen[i].occurredAt).toBe(true);
    // The newest five, in reverse order of sending.
    expect(seen.slice(0, 5).map((r) => r.requestId)).toEqual([...ids].reverse());
    const none = await http()
      .get('/v1/admin/audit-records')
      .query({ to: startedAt.toISOString() })
      .set(admin)
      .expect(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 400 for a bad filter or cursor and 404 for an unknown record', async () => {
    const bad = await http().get('/v1/admin/audit-records?limit=501').set(admin).expect(400);
    expect(bad.body.message).toMatch(/limit must not be greater than 500/);
    await http().get('/v1/admin/audit-records?from=yesterday').set(admin).expect(400);
    await http().get('/v1/admin/audit-records?cursor=bm90LWEtY3Vyc29y').set(admin).expect(400);
    await http().get(`/v1/admin/audit-records/${randomUUID()}`).set(admin).expect(404);
  });

  it('reports queue depth, spool size and volume per route and status', async () => {
    await drain();
    const res = await http().get('/v1/admin/audit-stats').set(admin).expect(200);
    expect(res.body).toMatchObject({
      queueDepth: expect.any(Number),
      spoolBytes: expect.any(Number),
      failedWrites: 0,
      dropped: 0,
    });
    expect(res.body.written).toBeGreaterThan(60);
    const volume = await t.app.get(AuditStatsService).volumeByRouteAndStatus(startedAt);
    expect(volume).toEqual(
      expect.arrayContaining([
        { route: '/v1/audit-test/boom', status: 500, count: 1 },
        { route: '(unmatched)', status: 404, count: expect.any(Number) },
      ]),
    );
  });
});

describe(`Audit trail: throttled requests (${ENGINE})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(
      { THROTTLE_LIMIT: '1', AUDIT_FLUSH_INTERVAL_MS: '50' },
      { metadata: { controllers: [AuditProbeController] } },
    );
  });
  afterAll(() => t.close());

  it('records a 429 from the throttler (a guard, before any interceptor)', async () => {
    await request(t.app.getHttpServer())
      .get('/v1/audit-test/ok')
      .set('X-Request-Id', 'first-call')
      .expect(200);
    await request(t.app.getHttpServer())
      .get('/v1/audit-test/ok')
      .set('X-Request-Id', 'throttled-call')
      .expect(429);
    expect(await t.app.get(AuditWriter).drain(10000)).toBe(true);
    const rows = await t.app
      .get(DataSource)
      .query(
        "SELECT route, status, error_message FROM audit_record WHERE request_id = 'throttled-call'",
      );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ route: '/v1/audit-test/ok', status: 429 });
    expect(rows[0].error_message).toMatch(/Too Many Requests/i);
  });
});
