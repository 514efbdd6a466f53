/**
 * The domain vocabulary: the four Cs' categories in quality order, worst first.
 * Everything that encodes a category (validation, one-hot, ordinal codes, the API enums)
 * reads it from here.
 */
export const CUTS = ['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'] as const;
export const COLORS = ['J', 'I', 'H', 'G', 'F', 'E', 'D'] as const;
export const CLARITIES = ['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'] as const;

export type Cut = (typeof CUTS)[number];
export type Color = (typeof COLORS)[number];
export type Clarity = (typeof CLARITIES)[number];

/** The CSV header every data file must carry (order free, names exact). */
export const CSV_COLUMNS = [
  'carat',
  'cut',
  'color',
  'clarity',
  'depth',
  'table',
  'price',
  'x',
  'y',
  'z',
] as const;

/** A diamond's attributes as the models see them. Measurements may be missing (null) at pricing time. */
export interface DiamondFeatures {
  carat: number;
  cut: Cut;
  color: Color;
  clarity: Clarity;
  depth: number | null;
  table: number | null;
  x: number | null;
  y: number | null;
  z: number | null;
}

/** A diamond with a known price and every measurement: a training row. */
export interface PricedDiamond extends DiamondFeatures {
  depth: number;
  table: number;
  x: number;
  y: number;
  z: number;
  price: number;
}

/** Ordinal code of a category: its rank in quality order (0 = worst). */
export function cutCode(cut: Cut): number {
  return CUTS.indexOf(cut);
}
export function colorCode(color: Color): number {
  return COLORS.indexOf(color);
}
export function clarityCode(clarity: Clarity): number {
  return CLARITIES.indexOf(clarity);
}

export function isCut(value: string): value is Cut {
  return (CUTS as readonly string[]).includes(value);
}
export function isColor(value: string): value is Color {
  return (COLORS as readonly string[]).includes(value);
}
export function isClarity(value: string): value is Clarity {
  return (CLARITIES as readonly string[]).includes(value);
}

/**
 * One range per numeric field, used by the API's DTOs and the CSV validator alike, so a row the
 * API would refuse can never reach a training set. `exclusiveMin`: the value must be > min.
 * Percentages: the public data spans depth 43-79 and table 43-95; its largest stone measures
 * under 60 mm and weighs 5.01 carats. The price range is configuration (PRICE_MIN, PRICE_MAX).
 */
export interface FieldBound {
  min: number;
  max: number;
  exclusiveMin: boolean;
  unit: string;
}

export const FIELD_BOUNDS = {
  carat: { min: 0, max: 10, exclusiveMin: true, unit: 'carats' },
  depth: { min: 40, max: 80, exclusiveMin: false, unit: '%' },
  table: { min: 40, max: 100, exclusiveMin: false, unit: '%' },
  x: { min: 0, max: 100, exclusiveMin: true, unit: 'mm' },
  y: { min: 0, max: 100, exclusiveMin: true, unit: 'mm' },
  z: { min: 0, max: 100, exclusiveMin: true, unit: 'mm' },
} as const satisfies Record<string, FieldBound>;

export type BoundedField = keyof typeof FIELD_BOUNDS;

/** Default plausible price range in USD (the public data spans 326-18,823). */
export const DEFAULT_PRICE_RANGE = { min: 1, max: 1_000_000 } as const;

export function priceBound(range: { min: number; max: number }): FieldBound {
  return { min: range.min, max: range.max, exclusiveMin: false, unit: 'USD' };
}

/** The rule as a sentence: "carat must be > 0 and ≤ 10 (carats)". */
export function describeBound(field: string, b: FieldBound): string {
  return `${field} must be ${b.exclusiveMin ? '>' : '≥'} ${b.min} and ≤ ${b.max} (${b.unit})`;
}

export function withinBound(value: number, b: FieldBound): boolean {
  return (b.exclusiveMin ? value > b.min : value >= b.min) && value <= b.max;
}
