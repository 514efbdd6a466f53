import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContextOf, requestScope } from '../common/request-context';
import { openRequest } from '../common/request-id';
import { httpObserver } from './http-observer.hook';
import type { MetricsService } from './metrics.service';
import { createPino } from './pino-logger.service';

/** What the edge's first hook does before the observer (app.setup.ts). */
function openThen(
  req: IncomingMessage,
  res: ServerResponse,
  clientIp: string | null,
  route: string | undefined,
  then: () => void,
): void {
  const ctx = openRequest(req, res, clientIp);
  ctx.route = route;
  requestScope.run(ctx, then);
}

/** A node response that emits its events when the test says; `finished`: sent to the end. */
const response = (statusCode: number, finished: boolean): ServerResponse =>
  Object.assign(new EventEmitter(), {
    statusCode,
    writableFinished: finished,
    setHeader: () => undefined,
  }) as unknown as ServerResponse;

describe('httpObserver', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const observe = jest.fn();
  const metrics = { observeRequest: observe } as unknown as MetricsService;
  const logger = createPino('info', sink);

  it('logs one line with the request id and route, no header and no query string, and counts the request', async () => {
    const req = {
      method: 'POST',
      url: '/v1/prices/batch?token=abc',
      headers: { 'x-request-id': 'req-42', authorization: 'Bearer super-secret-token' },
    } as unknown as IncomingMessage;
    const res = response(200, true);
    const next = () => {
      // A service logging while the request is served gets the request id too.
      logger.info('inside');
      const ctx = requestContextOf(req)!;
      ctx.model = { family: 'xgboost', version: 3 };
      ctx.predictionCount = 5;
    };
    openThen(req, res, '127.0.0.1', '/v1/prices/batch', () =>
      httpObserver(metrics, logger)(req, res, next),
    );
    const inContextLine = lines.shift();
    res.emit('finish');
    res.emit('close');
    await new Promise((r) => setImmediate(r));

    expect(inContextLine).toMatchObject({ msg: 'inside', requestId: 'req-42' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      requestId: 'req-42',
      method: 'POST',
      path: '/v1/prices/batch',
      route: '/v1/prices/batch',
      status: 200,
      model: 'xgboost@3',
      predictionCount: 5,
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/super-secret-token|token=abc|authorization/i);
    expect(observe).toHaveBeenCalledTimes(1);
    expect(observe).toHaveBeenCalledWith(
      'POST',
      '/v1/prices/batch',
      200,
      expect.any(Number),
      { family: 'xgboost', version: 3 },
      5,
    );
  });

  it('never throws from the response events, even when the socket is gone', async () => {
    lines.length = 0;
    const req = {
      method: 'POST',
      url: '/v1/admin/datasets',
      headers: {},
      socket: null,
    } as unknown as IncomingMessage;
    const res = response(413, false);
    openThen(req, res, null, undefined, () =>
      httpObserver(metrics, logger)(req, res, () => undefined),
    );
    expect(() => res.emit('close')).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ status: 499, client: null, route: '(unmatched)' });
  });

  it('redacts an authorization field a caller passes by mistake', async () => {
    lines.length = 0;
    logger.info({ headers: { authorization: 'Bearer leaked' } }, 'oops');
    await new Promise((r) => setImmediate(r));
    expect(JSON.stringify(lines[0])).not.toContain('leaked');
  });
});
