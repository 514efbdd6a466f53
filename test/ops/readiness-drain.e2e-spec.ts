import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { ShutdownDrain } from '../../src/ops/shutdown-drain';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

/** One request on a given agent (keep-alive or not): status, headers, body. */
function get(port: number, path: string, agent: Agent) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe(`Readiness tells the truth; a graceful drain (${ENGINE})`, () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ SHUTDOWN_DRAIN_MS: '10000' }, { listen: true });
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('ready: 503 naming the database while it cannot be reached', async () => {
    const db = t.app.get(DataSource);
    await db.destroy();
    try {
      const res = await get(port, '/health/ready', new Agent());
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body).message).toMatch(/^Not ready: .*database/);
    } finally {
      await db.initialize();
    }
  });

  it('draining: the listener closes, requests on open connections get 503 readiness and Connection: close, then it stops', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, '/health/live', keepAlive);
    expect(before.status).toBe(200);
    expect(before.headers.connection).toBe('keep-alive');

    const drain = t.app.get(ShutdownDrain);
    const started = Date.now();
    const drained = drain.drain(t.app.getHttpServer() as Server);

    // A new connection is refused (a balancer retries it elsewhere, even a POST).
    await expect(get(port, '/health/live', new Agent())).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    // The request on the connection already open is answered, and closes it.
    const ready = await get(port, '/health/ready', keepAlive);
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe('close');
    expect(JSON.parse(ready.body)).toMatchObject({
      message: expect.stringMatching(/shutdown \(draining: this instance is stopping\)/),
      code: 'NOT_READY',
      details: expect.arrayContaining([
        { field: 'shutdown', rules: { up: 'draining: this instance is stopping' } },
      ]),
    });
    // No connection left: done long before SHUTDOWN_DRAIN_MS.
    expect(await drained).toEqual({ ms: expect.any(Number), connectionsLeft: 0 });
    expect(Date.now() - started).toBeLessThan(5000);
    keepAlive.destroy();
  });
});
