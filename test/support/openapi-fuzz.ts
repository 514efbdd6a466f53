import fc from 'fast-check';

/**
 * Requests generated from the OpenAPI document itself: for every operation, every path, query
 * and body parameter (optional ones included) takes a valid value read from its schema (enum,
 * example, minimum, maximum, default) or a hostile one: null, an empty string, a wrong type, a
 * value just past a bound, a huge number. No knowledge of the service beyond the document, so
 * an endpoint added tomorrow is fuzzed without a line of test code.
 */

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  type?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
  format?: string;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: Record<string, string[]>[];
}

export interface FuzzDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface FuzzRequest {
  method: string;
  /** The operation, as the document names it (`POST /v1/prices`). */
  operation: string;
  url: string;
  /** A JSON body (any JSON value, sent as its text), or raw text with its content type. */
  body?: { json: unknown } | { raw: string; contentType: string };
  /** The operation needs a bearer token (security in the document). */
  secured: boolean;
}

export interface FuzzOperation {
  name: string;
  arbitrary: fc.Arbitrary<FuzzRequest>;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Values that break a field's type or rules, whatever the field. */
const HOSTILE: unknown[] = [
  null,
  '',
  ' ',
  'null',
  -1,
  0,
  1e308,
  -1e308,
  2147483648,
  1.5,
  true,
  [],
  {},
  'x'.repeat(2000),
  '\u0000',
  '💎',
];

export function fuzzOperations(document: FuzzDocument): FuzzOperation[] {
  const resolve = (s: Schema | undefined, depth = 0): Schema => {
    if (!s || depth > 10) return {};
    if (s.$ref) {
      const name = s.$ref.split('/').pop()!;
      return resolve(document.components?.schemas?.[name], depth + 1);
    }
    if (s.allOf?.length === 1) return { ...resolve(s.allOf[0], depth + 1), nullable: s.nullable };
    return s;
  };

  /** Values the schema accepts (as far as the document says): enum, example, bounds, default. */
  const valid = (raw: Schema | undefined, depth: number): fc.Arbitrary<unknown> => {
    const s = resolve(raw);
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    const candidates: unknown[] = [];
    for (const v of [s.example, s.default]) if (v !== undefined) candidates.push(v);
    switch (s.type) {
      case 'integer':
      case 'number': {
        for (const v of [s.minimum, s.maximum]) if (v !== undefined) candidates.push(v);
        if (s.minimum !== undefined && s.maximum !== undefined)
          candidates.push(
            s.type === 'integer'
              ? Math.round((s.minimum + s.maximum) / 2)
              : (s.minimum + s.maximum) / 2,
          );
        if (candidates.length === 0) candidates.push(1, 2);
        return fc.constantFrom(...candidates);
      }
      case 'string':
        if (s.format === 'date-time') candidates.push(new Date(0).toISOString());
        return candidates.length
          ? fc.constantFrom(...candidates)
          : fc.string({ minLength: s.minLength ?? 1, maxLength: 12 });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return depth > 4
          ? fc.constant([])
          : fc.array(field(s.items, depth + 1), {
              minLength: s.minItems ?? 0,
              maxLength: Math.min(s.maxItems ?? 3, 3),
            });
      case 'object':
      default:
        if (s.properties && depth <= 4) return object(s, depth);
        return candidates.length ? fc.constantFrom(...candidates) : fc.constant({});
    }
  };

  /** Values just past the schema's bounds, or of another type. */
  const hostile = (raw: Schema | undefined): fc.Arbitrary<unknown> => {
    const s = resolve(raw);
    const near: unknown[] = [...HOSTILE];
    if (s.minimum !== undefined) near.push(s.minimum - 1e-9, s.minimum - 1);
    if (s.maximum !== undefined) near.push(s.maximum + 1e-9, s.maximum + 1);
    if (s.maxLength !== undefined) near.push('y'.repeat(s.maxLength + 1));
    if (s.maxItems !== undefined) near.push(new Array(s.maxItems + 1).fill(1));
    if (s.enum?.length) near.push(`${String(s.enum[0])}x`, String(s.enum[0]).toLowerCase());
    return fc.constantFrom(...near);
  };

  /** A field: mostly valid, often hostile. */
  const field = (s: Schema | undefined, depth: number): fc.Arbitrary<unknown> =>
    fc.oneof({ arbitrary: valid(s, depth), weight: 3 }, { arbitrary: hostile(s), weight: 2 });

  const object = (s: Schema, depth: number): fc.Arbitrary<unknown> => {
    const props = Object.entries(s.properties ?? {});
    const model = Object.fromEntries(props.map(([k, p]) => [k, field(p, depth + 1)]));
    const required = (s.required ?? []).filter((k) => k in model);
    return fc.oneof(
      { arbitrary: fc.record(model, { requiredKeys: required }), weight: 4 },
      // Required fields absent too, and an unknown field beside them.
      { arbitrary: fc.record(model, { requiredKeys: [] }), weight: 1 },
      {
        arbitrary: fc
          .record(model, { requiredKeys: required })
          .map((o) => ({ ...(o as object), unknownField: 1 })),
        weight: 1,
      },
    );
  };

  const asText = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : v === null
        ? 'null'
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);

  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const params = (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query');
      const paramArbs = Object.fromEntries(
        params.map((p) => [
          `${p.in}:${p.name}`,
          p.in === 'path'
            ? field(p.schema, 0)
            : fc.oneof(
                { arbitrary: field(p.schema, 0), weight: 4 },
                { arbitrary: fc.constant(undefined), weight: 1 },
              ),
        ]),
      );
      const content = op.requestBody?.content ?? {};
      const bodyArb: fc.Arbitrary<FuzzRequest['body']> = content['application/json']
        ? fc.oneof(
            {
              arbitrary: valid(content['application/json'].schema, 0).map((json) => ({ json })),
              weight: 5,
            },
            { arbitrary: hostile(undefined).map((json) => ({ json })), weight: 1 },
          )
        : Object.keys(content).length
          ? fc
              .constantFrom(
                'carat,cut,color,clarity,depth,table,price,x,y,z\n0.7,Ideal,G,VS1,61.5,57,2800,5.7,5.72,3.52\n',
                'carat,cut\n1,2\n',
                '',
                'not,a\ncsv"',
              )
              .map((raw) => ({ raw, contentType: Object.keys(content)[0] }))
          : fc.constant(undefined);
      const name = `${method.toUpperCase()} ${path}`;
      const secured = (op.security ?? []).length > 0;
      operations.push({
        name,
        arbitrary: fc.tuple(fc.record(paramArbs), bodyArb).map(([values, body]) => {
          let url = path;
          const query: string[] = [];
          for (const p of params) {
            const v = values[`${p.in}:${p.name}`];
            if (p.in === 'path')
              url = url.replace(`{${p.name}}`, encodeURIComponent(asText(v)) || '%20');
            else if (v !== undefined)
              query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(asText(v))}`);
          }
          if (query.length) url += `?${query.join('&')}`;
          return { method, operation: name, url, body, secured };
        }),
      });
    }
  }
  return operations;
}
