import { ValidateBy } from 'class-validator';

/** Decimal notation only: no hex, no "Infinity", no empty text. */
export const DECIMAL_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/**
 * A query-string number: decimal notation only (`0x10`, `1_000` and `Infinity` stay text and are
 * refused as "not a number"), an empty value counts as absent (so a required field says "required").
 */
export const toQueryNumber = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return undefined;
  return DECIMAL_NUMBER.test(text) ? Number(text) : value;
};

/** Query-string integer (ids, versions, counts): decimal digits only. */
export const toQueryInteger = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return undefined;
  return /^[-+]?\d+$/.test(text) ? Number(text) : value;
};

/** Years every engine stores (PostgreSQL timestamptz ends at 294276 AD; SQLite text sorts by 4 digits). */
const STORABLE_YEARS = { min: 1, max: 9999 } as const;

export function isStorableDate(value: unknown): boolean {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return false;
  const year = value.getUTCFullYear();
  return year >= STORABLE_YEARS.min && year <= STORABLE_YEARS.max;
}

/** A date the database can hold: years 1 to 9999 (a wider one used to come back as a 500). */
export function IsStorableDate() {
  return ValidateBy({
    name: 'isStorableDate',
    validator: {
      validate: (v: unknown) =>
        !(v instanceof Date) || Number.isNaN(v.getTime()) || isStorableDate(v),
      defaultMessage: (args) =>
        `${args?.property ?? 'date'} must be between the years ${STORABLE_YEARS.min} and ${STORABLE_YEARS.max}`,
    },
  });
}
