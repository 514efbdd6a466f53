import { DECIMAL_NUMBER } from '../common/query-number';
import {
  CLARITIES,
  COLORS,
  CSV_COLUMNS,
  CUTS,
  DEFAULT_PRICE_RANGE,
  describeBound,
  FIELD_BOUNDS,
  FieldBound,
  isClarity,
  isColor,
  isCut,
  PricedDiamond,
  priceBound,
  withinBound,
} from './diamond-vocabulary';

/** A value quoted in a reason, cut at 100 characters so a reason stays a sentence. */
function quote(value: string): string {
  return value.length <= 100
    ? `"${value}"`
    : `"${value.slice(0, 100)}…" (${value.length} characters)`;
}

export interface RowRules {
  /** Plausible price range in USD (config PRICE_MIN, PRICE_MAX). */
  priceRange: { min: number; max: number };
}

export type RowVerdict = { ok: true; diamond: PricedDiamond } | { ok: false; reasons: string[] };

/**
 * Checks one CSV record (fields in file order) against the header's column positions.
 * Returns the diamond, or every reason it is refused (not just the first).
 */
export function validateRow(
  fields: readonly string[],
  columnIndex: Readonly<Record<string, number>>,
  headerWidth: number,
  rules: RowRules = { priceRange: DEFAULT_PRICE_RANGE },
): RowVerdict {
  const reasons: string[] = [];
  if (fields.length > headerWidth)
    reasons.push(`has ${fields.length} fields, the header has ${headerWidth} (extra column)`);
  if (fields.length < headerWidth)
    reasons.push(`has ${fields.length} fields, the header has ${headerWidth} (missing column)`);

  const text = (column: string): string | undefined => {
    const value = fields[columnIndex[column]];
    return value === undefined ? undefined : value.trim();
  };
  const numbers: Record<string, number> = {};
  for (const column of CSV_COLUMNS) {
    if (column === 'cut' || column === 'color' || column === 'clarity') continue;
    const raw = text(column);
    if (raw === undefined || raw === '') {
      reasons.push(`${column} is empty`);
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || !DECIMAL_NUMBER.test(raw)) {
      reasons.push(`${column} is not a number: ${quote(raw)}`);
      continue;
    }
    numbers[column] = value;
  }
  const bounds: Record<string, FieldBound> = {
    ...FIELD_BOUNDS,
    price: priceBound(rules.priceRange),
  };
  for (const [column, bound] of Object.entries(bounds)) {
    const value = numbers[column];
    if (value !== undefined && !withinBound(value, bound))
      reasons.push(`${describeBound(column, bound)}, got ${value}`);
  }
  const cut = text('cut') ?? '';
  const color = text('color') ?? '';
  const clarity = text('clarity') ?? '';
  if (!isCut(cut))
    reasons.push(
      cut === '' ? 'cut is empty' : `cut ${quote(cut)} is not one of ${CUTS.join(', ')}`,
    );
  if (!isColor(color))
    reasons.push(
      color === '' ? 'color is empty' : `color ${quote(color)} is not one of ${COLORS.join(', ')}`,
    );
  if (!isClarity(clarity))
    reasons.push(
      clarity === ''
        ? 'clarity is empty'
        : `clarity ${quote(clarity)} is not one of ${CLARITIES.join(', ')}`,
    );

  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    diamond: {
      carat: numbers.carat,
      cut: cut as PricedDiamond['cut'],
      color: color as PricedDiamond['color'],
      clarity: clarity as PricedDiamond['clarity'],
      depth: numbers.depth,
      table: numbers.table,
      price: numbers.price,
      x: numbers.x,
      y: numbers.y,
      z: numbers.z,
    },
  };
}

/** Maps the header to column positions, or says why the header is unusable. */
export function readHeader(
  header: readonly string[],
): { ok: true; index: Record<string, number> } | { ok: false; reason: string } {
  const names = header.map((h) => h.trim());
  const index: Record<string, number> = {};
  names.forEach((name, i) => {
    if (index[name] === undefined) index[name] = i;
  });
  const missing = CSV_COLUMNS.filter((c) => index[c] === undefined);
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing column(s): ${missing.join(', ')}`);
  if (unknown.length)
    problems.push(`unknown column(s): ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
  if (repeated.length) problems.push(`repeated column(s): ${repeated.join(', ')}`);
  if (problems.length)
    return {
      ok: false,
      reason: `Wrong header (${problems.join('; ')}); expected ${CSV_COLUMNS.join(',')}`,
    };
  return { ok: true, index };
}
