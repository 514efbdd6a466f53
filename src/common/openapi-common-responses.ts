import type { OpenAPIObject } from '@nestjs/swagger';

const ERROR_CONTENT = {
  'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } },
};

/** Paths whose routes the throttler skips (admin, health, metrics, docs): no 429 there. */
const NOT_THROTTLED = /^\/(v1\/admin|health|metrics|docs)(\/|$)/;

/**
 * The answers every operation of a kind may give, whatever its controller says: a JSON body may
 * be malformed (400) or over BODY_LIMIT (413), a public route may be throttled (429, when
 * THROTTLE_LIMIT is set), and any route may fail on a server fault (500 INTERNAL_ERROR). Added to
 * the document once here so no controller can forget them (and every error status gets the error
 * body's schema); a status an operation documents
 * itself keeps its own description.
 */
export function documentCommonResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const add = (status: string, description: string): void => {
        op.responses[status] ??= { description, content: ERROR_CONTENT };
      };
      // Every error answer has the one error shape, whatever the controller's decorator said.
      for (const [status, response] of Object.entries(op.responses))
        if (/^[45]/.test(status) && response && !('$ref' in response) && !response.content)
          response.content = ERROR_CONTENT;
      const params = (op.parameters ?? []) as { in?: string }[];
      if (params.some((p) => p.in === 'path' || p.in === 'query'))
        add(
          '400',
          'VALIDATION_FAILED: a path or query parameter breaks its rule (`details` names it)',
        );
      const body = op.requestBody as { content?: Record<string, unknown> } | undefined;
      if (body?.content?.['application/json']) {
        add(
          '400',
          'VALIDATION_FAILED: the body is not valid JSON or breaks a rule (`details` names each field)',
        );
        add('413', 'PAYLOAD_TOO_LARGE: the JSON body is larger than BODY_LIMIT');
      }
      if (!NOT_THROTTLED.test(path))
        add(
          '429',
          'TOO_MANY_REQUESTS: over THROTTLE_LIMIT requests in THROTTLE_TTL_MS (`Retry-After` says when to retry)',
        );
      add('500', 'INTERNAL_ERROR: a fault of the server (logged with the request id)');
    }
  }
  return document;
}
