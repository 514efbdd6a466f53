import { Readable } from 'node:stream';
import { RequestContext } from '../common/request-context';
import { AuditFacts, buildAuditRecord } from './audit-record.builder';

const MAX_BODY = 256;

function context(patch: Partial<RequestContext> = {}): RequestContext {
  return Object.assign(new RequestContext('req-1', '/v1/prices', '10.0.0.7'), patch);
}

/** A priced request, unless a test says otherwise. */
function facts(patch: Partial<AuditFacts> = {}): AuditFacts {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    startedAt: new Date('2026-06-15T03:00:00.000Z'),
    durationMs: 1.25,
    method: 'POST',
    url: '/v1/prices',
    requestIdHeader: 'req-1',
    userAgent: 'curl/8.5',
    context: context({
      route: '/v1/prices',
      model: { family: 'xgboost', version: 3 },
      body: { carat: 0.7, cut: 'Ideal' },
      bodyIsClean: true,
    }),
    status: 200,
    aborted: false,
    response: {
      chunks: ['{"price":2874.15}'],
      totalBytes: 17,
      contentType: 'application/json; charset=utf-8',
      contentEncoding: undefined,
    },
    ...patch,
  };
}

describe('buildAuditRecord', () => {
  it('records a priced request: route, model, bodies, client and timing', () => {
    expect(buildAuditRecord(facts(), MAX_BODY)).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      requestId: 'req-1',
      occurredAt: '2026-06-15T03:00:00.000Z',
      method: 'POST',
      route: '/v1/prices',
      url: '/v1/prices',
      query: null,
      requestBody: '{"carat":0.7,"cut":"Ideal"}',
      status: 200,
      responseBody: '{"price":2874.15}',
      durationMs: 1.25,
      clientIp: '10.0.0.7',
      userAgent: 'curl/8.5',
      modelFamily: 'xgboost',
      modelVersion: 3,
      errorMessage: null,
    });
  });

  it('redacts secrets in the query, a body not known to be clean, and a JSON answer', () => {
    const record = buildAuditRecord(
      facts({
        url: '/v1/models?api_key=abc&family=linear',
        context: context({ body: { password: 'hunter2', nested: { token: 't' } } }),
        response: {
          chunks: ['{"session":"s3cr3t","ok":true}'],
          totalBytes: 30,
          contentType: 'application/json',
          contentEncoding: undefined,
        },
      }),
      MAX_BODY,
    );
    expect(record.url).toBe('/v1/models?api_key=%5BREDACTED%5D&family=linear');
    expect(record.query).toEqual({ api_key: '[REDACTED]', family: 'linear' });
    expect(record.requestBody).toBe('{"password":"[REDACTED]","nested":{"token":"[REDACTED]"}}');
    expect(record.responseBody).toBe('{"session":"[REDACTED]","ok":true}');
  });

  it('stores a clean body as sent, even with a key a redactor would take for a secret', () => {
    const body = { tokenizer: 'x' };
    const clean = buildAuditRecord(facts({ context: context({ body, bodyIsClean: true }) }), 256);
    const unclean = buildAuditRecord(facts({ context: context({ body }) }), 256);
    expect(clean.requestBody).toBe('{"tokenizer":"x"}');
    expect(unclean.requestBody).toBe('{"tokenizer":"[REDACTED]"}');
  });

  it('keeps, of an error, what the client was told; of a 5xx, the handler’s real error', () => {
    const ctx = { errorMessage: 'carat must be > 0', handlerError: 'TypeError: x is undefined' };
    const with4xx = buildAuditRecord(facts({ status: 400, context: context(ctx) }), MAX_BODY);
    const with5xx = buildAuditRecord(facts({ status: 500, context: context(ctx) }), MAX_BODY);
    const ok = buildAuditRecord(facts({ status: 200, context: context(ctx) }), MAX_BODY);
    expect(with4xx.errorMessage).toBe('carat must be > 0');
    expect(with5xx.errorMessage).toBe('TypeError: x is undefined');
    expect(ok.errorMessage).toBeNull();
  });

  it('records a client that left before the answer as 499, without a response body', () => {
    const record = buildAuditRecord(facts({ aborted: true, status: 200 }), MAX_BODY);
    expect(record).toMatchObject({
      status: 499,
      responseBody: null,
      errorMessage: 'Client closed the connection before the response',
    });
  });

  it('summarises what is not text, encoded or too long, and leaves out an empty answer', () => {
    const response = (chunks: (Buffer | string)[], contentType: string, encoding?: string) =>
      buildAuditRecord(
        facts({
          response: {
            chunks,
            totalBytes: chunks.reduce((n, c) => n + Buffer.byteLength(c), 0),
            contentType,
            contentEncoding: encoding,
          },
        }),
        MAX_BODY,
      ).responseBody;
    expect(response([Buffer.alloc(40)], 'image/png')).toBe('[image/png, 40 bytes]');
    expect(response([Buffer.alloc(40)], 'application/json', 'gzip')).toBe(
      '[application/json, gzip-encoded, 40 bytes]',
    );
    expect(response(['a'.repeat(300)], 'text/plain')).toBe(
      `${'a'.repeat(256)}…[truncated: 300 bytes]`,
    );
    expect(response([], 'text/plain')).toBeNull();
  });

  it('never records an uploaded stream, and only the size of raw bytes', () => {
    const stream = buildAuditRecord(
      facts({ context: context({ body: Readable.from(['a,b']) }) }),
      MAX_BODY,
    );
    const bytes = buildAuditRecord(facts({ context: context({ body: Buffer.alloc(9) }) }), 256);
    expect(stream.requestBody).toBeNull();
    expect(bytes.requestBody).toBe('[9 bytes]');
  });

  it('cleans what the database refuses (NUL, lone surrogates) and cuts fields to their columns', () => {
    const record = buildAuditRecord(
      facts({
        method: 'PROPPATCHING',
        userAgent: `ua\u0000${'x'.repeat(600)}`,
        context: context({
          route: undefined,
          model: { family: 'f\ud800', version: 1.5 },
          errorMessage: 'bad\u0000value',
        }),
        status: 404,
      }),
      MAX_BODY,
    );
    expect(record.method).toBe('PROPPATCHI');
    expect(record.route).toBeNull();
    expect(record.userAgent).toHaveLength(512 + '\\u0000'.length - 1);
    expect(record.userAgent!.startsWith('ua\\u0000x')).toBe(true);
    expect(record.modelFamily).toBe('f\ufffd');
    expect(record.modelVersion).toBeNull();
    expect(record.errorMessage).toBe('bad\\u0000value');
  });

  it('takes the request id from the header when the request never got a context', () => {
    const record = buildAuditRecord(facts({ context: undefined, requestIdHeader: 'hdr-9' }), 256);
    expect(record).toMatchObject({ requestId: 'hdr-9', route: null, clientIp: null });
  });
});
