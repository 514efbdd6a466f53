import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Checks HTTP answers against the OpenAPI document the app serves, as a developer's validator
 * that knows nothing of this project would: the answer's path and method must be an operation of
 * the document, its status one of that operation's responses, and its JSON body must match that
 * response's schema. Response schemas are read closed (an object's undocumented property is a
 * mismatch), so the document tells the whole truth and not only part of it. OpenAPI 3.0's
 * `nullable: true` is read as "null, or the schema" (also beside `allOf`/`$ref`).
 *
 * Paths the document does not hold are answered like any unknown route: 404 with the error
 * body of the document (ErrorResponseDto). The only exceptions are the pages that are not API
 * (the docs UI and the staff pages' files), listed in NOT_API.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>;
  components?: { schemas?: Record<string, Schema> };
}
interface ResponseObject {
  content?: Record<string, { schema?: Schema }>;
}

export interface ObservedResponse {
  method: string;
  url: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Pages served beside the API that are not API operations: not in the document on purpose. */
const NOT_API: RegExp[] = [
  /^\/$/,
  /^\/docs(\/.*)?$/,
  /^\/docs-json$/,
  /^\/(counter|dashboard)\/assets\/[^/]+$/,
];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ERROR_SCHEMA_REF = '#/components/schemas/ErrorResponseDto';

/** The schema as a strict reader reads it: closed objects, `nullable` meaning "or null". */
function closeSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(closeSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node))
    out[key] =
      key === 'example' || key === 'examples' || key === 'default' || key === 'enum'
        ? value
        : key === 'properties'
          ? Object.fromEntries(
              Object.entries(value as Schema).map(([name, s]) => [name, closeSchema(s)]),
            )
          : closeSchema(value);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [{ type: 'null' }, out] };
  }
  delete out.nullable;
  return out;
}

function describeErrors(errors: ErrorObject[] | null | undefined, body: unknown): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => {
      const at = e.instancePath || '(root)';
      const extra =
        e.keyword === 'additionalProperties'
          ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : '';
      const value = valueAt(body, e.instancePath);
      return `  at ${at}: ${e.message}${extra} (schema ${e.schemaPath}; got ${preview(value)})`;
    })
    .join('\n');
}

function valueAt(body: unknown, pointer: string): unknown {
  let node = body;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export class OpenApiResponseValidator {
  private readonly ajv: Ajv;
  private readonly operations: {
    pattern: RegExp;
    path: string;
    params: number;
    methods: Record<string, Record<string, ResponseObject>>;
  }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.ajv.addFormat(
      'date-time',
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    );
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(
      { components: closeSchema((document.components ?? {}) as Json) } as object,
      'openapi',
    );
    this.operations = Object.entries(document.paths)
      .map(([path, item]) => ({
        path,
        params: (path.match(/\{/g) ?? []).length,
        pattern: new RegExp(
          `^${path
            .split(/\{[^}]+\}/)
            .map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}/?$`,
        ),
        methods: Object.fromEntries(
          Object.entries(item)
            .filter(([m]) => HTTP_METHODS.includes(m))
            .map(([m, op]) => [m, op.responses ?? {}]),
        ),
      }))
      // A literal segment wins over a parameter (`/datasets/retractions` before `/datasets/{id}`).
      .sort((a, b) => a.params - b.params);
  }

  /** The mismatch between an answer and the document, in words with its JSON path; undefined when none. */
  check(r: ObservedResponse): string | undefined {
    const method = r.method.toLowerCase();
    const path = r.url.split('?')[0];
    const where = `${r.method} ${r.url} answered ${r.status}`;
    if (method === 'head' || method === 'options') return undefined;
    const op = this.operations.find((o) => o.pattern.test(path) && o.methods[method]);
    if (!op) {
      if (NOT_API.some((p) => p.test(path))) return undefined;
      if (r.status !== 404)
        return `${where}: the document has no operation ${r.method} for this path (an unknown route must answer 404)`;
      return this.checkBody(where, r, ERROR_SCHEMA_REF, 'application/json');
    }
    const responses = op.methods[method];
    const response = responses[String(r.status)] ?? responses[`${String(r.status)[0]}XX`];
    if (!response)
      return `${where}: status ${r.status} is not documented for ${r.method.toUpperCase()} ${op.path} (documented: ${Object.keys(responses).join(', ')})`;
    const content = response.content ?? {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0) {
      if (r.body.length === 0) return undefined;
      return `${where}: the document gives no body for ${r.method.toUpperCase()} ${op.path} ${r.status}, the answer has one (${r.contentType})`;
    }
    const type = (r.contentType ?? '').split(';')[0].trim().toLowerCase();
    const media = mediaTypes.find(
      (m) => m === type || m === '*/*' || (m.endsWith('/*') && type.startsWith(m.slice(0, -1))),
    );
    if (!media)
      return `${where}: content type ${r.contentType} is not documented for ${r.method.toUpperCase()} ${op.path} ${r.status} (documented: ${mediaTypes.join(', ')})`;
    const schema = content[media].schema;
    if (!schema || !type.includes('json')) return undefined;
    const key = `${method} ${op.path} ${r.status} ${media}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(closeSchema(this.toRefs(schema)) as object);
      this.compiled.set(key, validate);
    }
    return this.validateJson(where, op.path, r, validate);
  }

  private checkBody(
    where: string,
    r: ObservedResponse,
    ref: string,
    media: string,
  ): string | undefined {
    const type = (r.contentType ?? '').split(';')[0].trim();
    if (type !== media) return `${where}: content type ${r.contentType}, expected ${media}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi${ref}` });
      this.compiled.set(ref, validate);
    }
    return this.validateJson(where, '(unknown route)', r, validate);
  }

  private validateJson(
    where: string,
    path: string,
    r: ObservedResponse,
    validate: ValidateFunction,
  ): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      return `${where}: the body is not JSON (${preview(r.body)})`;
    }
    if (validate(body)) return undefined;
    return `${where}: the body does not match the document's schema for ${r.method.toUpperCase()} ${path} ${r.status}:\n${describeErrors(validate.errors, body)}`;
  }

  /** Local `#/components/...` references point into the schema registered as `openapi`. */
  private toRefs(node: Json): Json {
    if (Array.isArray(node)) return node.map((n) => this.toRefs(n));
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/')
          ? `openapi${v}`
          : this.toRefs(v),
      ]),
    );
  }
}

/** Mismatches seen since the last take: the test setup fails the running test with them. */
const violations: string[] = [];

export function takeResponseViolations(): string[] {
  return violations.splice(0, violations.length);
}

const BODY_CAPTURE_LIMIT = 4 * 1024 * 1024;

/**
 * Hooks the validator on every answer of a node HTTP server (before the framework's own
 * handler): the body written is kept as it leaves and checked when the response ends, before the
 * client can read it, so the mismatch is recorded before the test's request resolves.
 */
export function validateResponsesOf(server: Server, validator: OpenApiResponseValidator): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size <= BODY_CAPTURE_LIMIT) chunks.push(buf);
    };
    // Headers given to writeHead() directly are not readable with getHeader(): keep its content type.
    let headContentType: string | undefined;
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (...args: unknown[]): ServerResponse => {
      const headers = args.find((a) => a && typeof a === 'object') as
        Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(headers ?? {}))
        if (k.toLowerCase() === 'content-type') headContentType = String(v);
      return writeHead(...args);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { write: unknown }).write = (...args: unknown[]): boolean => {
      keep(args[0], args[1]);
      return write(...args);
    };
    (res as { end: unknown }).end = (...args: unknown[]): ServerResponse => {
      keep(args[0], args[1]);
      if (size <= BODY_CAPTURE_LIMIT) {
        try {
          const problem = validator.check({
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            status: res.statusCode,
            contentType: (res.getHeader('content-type') as string | undefined) ?? headContentType,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          if (problem) violations.push(problem);
        } catch (err) {
          violations.push(
            `${req.method} ${req.url}: the response validator failed: ${String(err)}`,
          );
        }
      }
      return end(...args);
    };
  });
}

const validators = new Map<string, OpenApiResponseValidator>();

/** One validator per distinct document (the apps of a test file serve the same one). */
export function validatorFor(documentJson: string): OpenApiResponseValidator {
  let v = validators.get(documentJson);
  if (!v) {
    v = new OpenApiResponseValidator(JSON.parse(documentJson) as OpenApiDocument);
    validators.set(documentJson, v);
  }
  return v;
}
