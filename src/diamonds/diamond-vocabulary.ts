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

/** The numeric columns of a diamond, in the CSV's order. */
export const NUMERIC_COLUMNS = ['carat', 'depth', 'table', 'price', 'x', 'y', 'z'] as const;
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
