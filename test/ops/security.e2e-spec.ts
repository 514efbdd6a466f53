import request from 'supertest';
import { ADMIN_TOKEN } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

// GET /v1/admin/datasets stands for every admin route: they all carry @AdminOnly().
const ADMIN_ROUTE = '/v1/admin/datasets';

describe(`Security (${ENGINE})`, () => {
  describe('with ADMIN_TOKEN configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ ADMIN_TOKEN, CORS_ORIGINS: 'https://shop.example' });
    });
    afterAll(() => t.close());

    it('refuses an admin route without a token (401, error shape)', async () => {
      const res = await request(t.app.getHttpServer()).get(ADMIN_ROUTE).expect(401);
      expect(res.body).toMatchObject({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: expect.stringMatching(/Missing bearer token/),
      });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it.each([
      ['a wrong token', `Bearer ${ADMIN_TOKEN}x`],
      ['a prefix of the token', `Bearer ${ADMIN_TOKEN.slice(0, 10)}`],
      ['the token without the Bearer scheme', ADMIN_TOKEN],
    ])('refuses %s (401)', async (_name, header) => {
      const res = await request(t.app.getHttpServer())
        .get(ADMIN_ROUTE)
        .set('Authorization', header)
        .expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });

    it('lets the right token through', async () => {
      const res = await request(t.app.getHttpServer())
        .get(ADMIN_ROUTE)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(200);
      expect(res.body).toEqual([]);
    });

    it('sends security headers (helmet) with a CSP that only allows the app itself', async () => {
      const res = await request(t.app.getHttpServer()).get('/health/live').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('answers CORS for the configured origin only', async () => {
      const ok = await request(t.app.getHttpServer())
        .options('/v1/models')
        .set('Origin', 'https://shop.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
      const other = await request(t.app.getHttpServer())
        .get('/health/live')
        .set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('without ADMIN_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('answers 503 "admin disabled" on admin routes, token or not', async () => {
      for (const auth of [undefined, `Bearer ${ADMIN_TOKEN}`]) {
        const req = request(t.app.getHttpServer()).get(ADMIN_ROUTE);
        if (auth) req.set('Authorization', auth);
        const res = await req.expect(503);
        expect(res.body).toMatchObject({
          code: 'ADMIN_DISABLED',
          message: expect.stringMatching(/disabled/),
        });
      }
    });

    it('sends no CORS headers when CORS_ORIGINS is empty', async () => {
      const res = await request(t.app.getHttpServer())
        .get('/health/live')
        .set('Origin', 'https://shop.example')
        .expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('throttling (THROTTLE_LIMIT=3)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ ADMIN_TOKEN, THROTTLE_LIMIT: '3', THROTTLE_TTL_MS: '60000' });
    });
    afterAll(() => t.close());

    it('answers 429 with Retry-After past the limit on a public route, per client', async () => {
      const server = t.app.getHttpServer();
      for (let i = 0; i < 3; i++) await request(server).get('/v1/models').expect(200);
      const res = await request(server).get('/v1/models').expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.body).toMatchObject({
        statusCode: 429,
        message: expect.stringMatching(/Too many requests/),
      });
    });

    it('never throttles admin, health and metrics routes', async () => {
      const server = t.app.getHttpServer();
      for (let i = 0; i < 6; i++) {
        await request(server).get('/health/live').expect(200);
        await request(server).get('/metrics').expect(200);
        await request(server)
          .get(ADMIN_ROUTE)
          .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
          .expect(200);
      }
    });
  });
});
