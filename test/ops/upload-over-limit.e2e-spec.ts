import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/audit-writer';
import { ADMIN_TOKEN } from '../support/training-helpers';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 11, defect 1: a chunked upload over UPLOAD_MAX_BYTES got its 413, then the code that runs
 * after the response (access log, audit) read the client address of a socket already gone and the
 * TypeError ended the process. Now the client gets its 413, the process keeps serving and the
 * request's audit record is there.
 */
describe(`Chunked upload over the limit (${ENGINE})`, () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp(
      { ADMIN_TOKEN, UPLOAD_MAX_BYTES: '1024', AUDIT_FLUSH_INTERVAL_MS: '50', LOG_LEVEL: 'info' },
      { listen: true },
    );
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /** Sends a chunked body bigger than the limit, chunk by chunk, and returns the status it got. */
  function chunkedUpload(requestId: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/admin/datasets?filename=big.csv',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
          'x-request-id': requestId,
        },
      });
      req.on('response', (res) => {
        res.resume();
        // Hang up at once, as a client that got its answer does, while the server may still be writing.
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined);
      req.write('carat,cut,color,clarity,depth,table,price,x,y,z\n');
      let sent = 0;
      const timer = setInterval(() => {
        if (req.destroyed || sent > 64) {
          clearInterval(timer);
          if (!req.destroyed) reject(new Error('no answer to an upload over the limit'));
          return;
        }
        sent += 1;
        req.write(`${'0.5,Ideal,G,VS1,61.5,56,900,5.1,5.13,3.15\n'.repeat(20)}`);
      }, 5);
    });
  }

  it('answers 413, keeps serving and records the request', async () => {
    const requestIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of requestIds) expect(await chunkedUpload(id)).toBe(413);
    await sleep(200);
    const health = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(health.status).toBe(200);
    expect(await t.app.get(AuditWriter).drain(10000)).toBe(true);
    const db = t.app.get(DataSource);
    const rows: { status: number }[] = await db.query(
      `SELECT status FROM audit_record WHERE request_id IN (${requestIds
        .map((_, i) => (ENGINE === 'postgres' ? `$${i + 1}` : '?'))
        .join(', ')})`,
      requestIds,
    );
    expect(rows).toHaveLength(requestIds.length);
    for (const row of rows) expect(Number(row.status)).toBe(413);
  });
});
