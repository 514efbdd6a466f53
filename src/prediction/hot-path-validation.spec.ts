import { findInputProblem } from '../common/input-guard';
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentMetadata, BadRequestException, Type } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { createValidationPipe } from '../common/validation.pipe';
import { CLARITIES, COLORS, CUTS } from '../diamonds/diamond-vocabulary';
import { HOT_PATH_SCHEMAS, hotPathValidators } from './hot-path-validation';
import {
  BatchPriceRequestDto,
  DiamondFeaturesDto,
  ModelSelectorDto,
  PriceRequestDto,
  SimilarDiamondsQueryDto,
} from './prediction.dto';

const fastPaths = hotPathValidators();
const fastPipe = createValidationPipe(fastPaths);
const slowPipe = createValidationPipe();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const body = (metatype: Type<unknown>): ArgumentMetadata => ({ type: 'body', metatype });
const query = (metatype: Type<unknown>): ArgumentMetadata => ({ type: 'query', metatype });

type Outcome = { ok: true; value: unknown } | { ok: false; status: number; body: unknown };

async function outcome(
  pipe: ReturnType<typeof createValidationPipe>,
  value: unknown,
  metadata: ArgumentMetadata,
): Promise<Outcome> {
  try {
    return { ok: true, value: await pipe.transform(structuredClone(value), metadata) };
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return { ok: false, status: error.getStatus(), body: error.getResponse() };
  }
}

/**
 * Fast path against class-validator for one input: when the compiled check accepts, class-validator
 * accepts too and builds the same DTO value; either way the pipe's outcome (value or 400 body) is
 * the class-validator pipe's. Returns whether the compiled check accepted.
 */
async function expectSameOutcome(value: unknown, metadata: ArgumentMetadata): Promise<boolean> {
  const accepted = fastPaths.get(metadata.metatype!)!(structuredClone(value)) !== undefined;
  const slow = await outcome(slowPipe, value, metadata);
  const fast = await outcome(fastPipe, value, metadata);
  if (accepted) expect(slow.ok).toBe(true);
  expect(fast).toEqual(slow);
  return accepted;
}

function batchRows(): Record<string, unknown>[] {
  const path = join(__dirname, '..', '..', 'data', 'batches', 'batch-001.csv');
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return rows.map((row) => {
    const cells = row.split(',');
    const item: Record<string, unknown> = {};
    names.forEach((name, i) => {
      if (name !== 'price')
        item[name] = ['cut', 'color', 'clarity'].includes(name) ? cells[i] : Number(cells[i]);
    });
    return item;
  });
}

// ---- generators: mostly valid input, bent at the edges of each rule -----------------------------

const oddValue = fc.constantFrom<unknown>(null, '1', '0x10', '', true, [], {}, [1], 'NaN');
const number = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.01, 0.5, 0.99, 1, 5.7, 10, 10.000001, 40, 39.99, 80, 100, 100.5),
  fc.constantFrom(0.49, 0.3, 1e-9, 2147483647, 2147483648, 1.5, 3),
  fc.double({ min: -200, max: 200, noNaN: true }),
  oddValue,
);
const grade = fc.oneof(
  fc.constantFrom<unknown>(...CUTS, ...COLORS, ...CLARITIES),
  fc.constantFrom<unknown>('ideal', 'Ideal ', '', 'Round', 1, null, ['Ideal']),
);
const model = fc.oneof(
  fc.record(
    {
      family: fc.oneof(
        fc.constantFrom<unknown>(
          'linear',
          'xgboost',
          'xgboost-log',
          'Bad',
          '',
          'a'.repeat(65),
          7,
          'xg\u0000boost',
        ),
        fc.string({ maxLength: 8 }),
      ),
      version: number,
      extra: fc.constant(1),
    },
    { requiredKeys: [] },
  ),
  oddValue,
);
const FEATURE_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  carat: number,
  cut: grade,
  color: grade,
  clarity: grade,
  depth: number,
  table: number,
  x: number,
  y: number,
  z: number,
  model,
  level: fc.oneof(fc.constantFrom(0.5, 0.9, 0.99, 0.499, 0.995, 1), oddValue),
  price: number,
  colour: grade,
};
/** Up to two fields set to anything (or absent, or unknown); none, a third of the time. */
const bend = (fields: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom(...fields),
        fc.oneof(fc.constant(undefined), ...fields.map((f) => FEATURE_VALUES[f] ?? number)),
      ),
      { maxLength: 2 },
    )
    .map((pairs) => {
      const bent: Record<string, unknown> = {};
      for (const [field, value] of pairs) bent[field] = value;
      return bent;
    });
const applyBend = (valid: Record<string, unknown>, bent: Record<string, unknown>) => {
  const out = { ...valid, ...bent };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
};
/** A valid diamond, optional measurements sometimes sent. */
const validDiamond = fc.record(
  {
    carat: fc.double({ min: 0.01, max: 10, noNaN: true }),
    cut: fc.constantFrom(...CUTS),
    color: fc.constantFrom(...COLORS),
    clarity: fc.constantFrom(...CLARITIES),
    depth: fc.oneof(fc.double({ min: 40, max: 80, noNaN: true }), fc.constant(null)),
    table: fc.double({ min: 40, max: 100, noNaN: true }),
    x: fc.double({ min: 0.01, max: 100, noNaN: true }),
  },
  { requiredKeys: ['carat', 'cut', 'color', 'clarity'] },
);
const DIAMOND_FIELDS = ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'x', 'y', 'z'];
const diamond = fc
  .tuple(validDiamond, bend([...DIAMOND_FIELDS, 'price']))
  .map(([valid, bent]) => applyBend(valid, bent));
const priceRequest = fc
  .tuple(validDiamond, bend([...DIAMOND_FIELDS, 'model', 'level', 'colour']))
  .map(([valid, bent]) => applyBend(valid, bent));
const batchRequest = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.array(validDiamond, { minLength: 1, maxLength: 4 }), weight: 3 },
      { arbitrary: fc.array(diamond, { minLength: 0, maxLength: 3 }), weight: 2 },
    ),
    bend(['items', 'model', 'level']),
  )
  .map(([items, bent]) => applyBend({ items }, bent));
const queryText = fc.oneof(
  fc.constantFrom('0.7', ' 0.7 ', '', '0x10', '1e400', '1e-400', '5', '101', '100', '0', '-1'),
  fc.constantFrom('1.5', '+3', '-0', 'Infinity', '10', '10.5', '.5', '5.', '1_000', 'Ideal', 'G'),
  fc.constantFrom('VS1', 'Very Good', 'ideal'),
  fc.constant(['1', '2']),
);
const QUERY_FIELDS = ['cut', 'color', 'clarity', 'carat', 'n', 'limit'];
const similarQuery = fc
  .tuple(
    fc.record(
      {
        cut: fc.constantFrom(...CUTS),
        color: fc.constantFrom(...COLORS),
        clarity: fc.constantFrom(...CLARITIES),
        carat: fc.constantFrom('0.7', '1', '0.23', '5.01', '10'),
        n: fc.constantFrom('1', '5', '100', ' 7 '),
      },
      { requiredKeys: ['cut', 'color', 'clarity', 'carat'] },
    ),
    fc.array(
      fc.tuple(fc.constantFrom(...QUERY_FIELDS), fc.oneof(fc.constant(undefined), queryText)),
      { maxLength: 2 },
    ),
  )
  .map(([valid, pairs]) => applyBend(valid, Object.fromEntries(pairs)));

// ---- tests -----------------------------------------------------------------------------------------

describe('compiled validation of the hot endpoints', () => {
  it('checks exactly the fields the DTOs declare (one set of rules, two engines)', () => {
    const declared = (target: Type<unknown>) =>
      [
        ...new Set(
          getMetadataStorage()
            .getTargetValidationMetadatas(target, '', true, false)
            .map((m) => m.propertyName),
        ),
      ].sort();
    const keys = (schema: { properties: object }) => Object.keys(schema.properties).sort();
    expect(keys(HOT_PATH_SCHEMAS.price)).toEqual(declared(PriceRequestDto));
    expect(keys(HOT_PATH_SCHEMAS.price.properties.model)).toEqual(declared(ModelSelectorDto));
    expect(keys(HOT_PATH_SCHEMAS.batch)).toEqual(declared(BatchPriceRequestDto));
    expect(keys(HOT_PATH_SCHEMAS.batch.properties.items.items)).toEqual(
      declared(DiamondFeaturesDto),
    );
    expect(keys(HOT_PATH_SCHEMAS.similar)).toEqual(declared(SimilarDiamondsQueryDto));
  });

  it('takes the 1,000 rows of batch-001 on the fast path, with the DTO values of class-validator', async () => {
    const items = batchRows();
    expect(items).toHaveLength(1000);
    const request = { items, model: { family: 'xgboost', version: 2 }, level: 0.8 };
    expect(await expectSameOutcome(request, body(BatchPriceRequestDto))).toBe(true);
    for (const item of items.slice(0, 50))
      expect(await expectSameOutcome(item, body(PriceRequestDto))).toBe(true);
  });

  it.each([
    ['an unknown field', { carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1', colour: 'G' }],
    ['a number as text', { carat: '0x10', cut: 'Ideal', color: 'G', clarity: 'VS1' }],
    ['carat 0', { carat: 0, cut: 'Ideal', color: 'G', clarity: 'VS1' }],
    ['level 0.3', { carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1', level: 0.3 }],
    [
      'a version beyond int32',
      {
        carat: 0.7,
        cut: 'Ideal',
        color: 'G',
        clarity: 'VS1',
        model: { family: 'x', version: 2 ** 31 },
      },
    ],
    [
      'a bad family',
      { carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1', model: { family: 'X' } },
    ],
    ['a NUL byte', { carat: 0.7, cut: 'Ideal\u0000', color: 'G', clarity: 'VS1' }],
  ])('refuses %s with the class-validator body', async (_what, request) => {
    expect(fastPaths.get(PriceRequestDto)!(structuredClone(request))).toBeUndefined();
    const fast = await outcome(fastPipe, request, body(PriceRequestDto));
    expect(fast.ok).toBe(false);
    expect(fast).toEqual(await outcome(slowPipe, request, body(PriceRequestDto)));
  });

  it('refuses an empty carat in the query as "required", as class-validator does', async () => {
    const request = { cut: 'Ideal', color: 'G', clarity: 'VS1', carat: '' };
    const fast = await outcome(fastPipe, request, query(SimilarDiamondsQueryDto));
    expect(fast).toMatchObject({ ok: false, body: { details: [{ field: 'carat' }] } });
    expect(JSON.stringify(fast)).toContain('carat is required');
    expect(fast).toEqual(await outcome(slowPipe, request, query(SimilarDiamondsQueryDto)));
  });

  const agree = async (generator: fc.Arbitrary<unknown>, metadata: ArgumentMetadata) => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(generator, async (value) => {
        // The pipe skips the NUL/depth guard for what a fast path accepts: it must be clean.
        const fastPath = fastPaths.get(metadata.metatype!);
        if (fastPath?.(structuredClone(value)) !== undefined)
          expect(findInputProblem(value)).toBeNull();
        if (await expectSameOutcome(value, metadata)) accepted++;
        else refused++;
      }),
      { numRuns: RUNS, seed: 12 },
    );
    // Both branches must have been exercised, or the property proves nothing.
    expect(accepted).toBeGreaterThan(RUNS / 20);
    expect(refused).toBeGreaterThan(RUNS / 20);
  };

  it('agrees with class-validator on generated price requests', () =>
    agree(priceRequest, body(PriceRequestDto)));
  it('agrees with class-validator on generated batches', () =>
    agree(batchRequest, body(BatchPriceRequestDto)));
  it('agrees with class-validator on generated similar-diamonds queries', () =>
    agree(similarQuery, query(SimilarDiamondsQueryDto)));
});
