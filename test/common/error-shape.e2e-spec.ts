import request from 'supertest';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

describe(`One error shape across the API (${ENGINE})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT: '2kb' });
  });
  afterAll(() => t.close());

  it('a malformed JSON body is a 400 that says so, with the request id', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/v1/prices')
      .set('Content-Type', 'application/json')
      .set('X-Request-Id', 'req-123')
      .send('{"carat": 0.5,')
      .expect(400);
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^Malformed JSON body: /),
      requestId: 'req-123',
    });
  });

  it('a body over the limit is a 413 naming the limit', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/v1/prices')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(4000) }))
      .expect(413);
    expect(res.body).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body too large: the limit is 2048 bytes',
    });
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an unknown route is a 404 in the same shape, and a generated request id is echoed', async () => {
    const res = await request(t.app.getHttpServer()).get('/v1/nowhere').expect(404);
    expect(res.headers['x-request-id']).toBe(res.body.requestId);
    expect(res.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      message: expect.stringContaining('/v1/nowhere'),
    });
  });

  it('a request id that is not sane is replaced, not echoed', async () => {
    const res = await request(t.app.getHttpServer())
      .get('/v1/models')
      .set('X-Request-Id', 'bad id with spaces')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
