import { MAX_INPUT_DEPTH } from './input-guard';

/**
 * The API's one rule for `null` in a request body: a property whose value is `null` is read as
 * absent, at any depth (an optional field takes its default, a required one is refused as
 * missing, with a 400 naming it). Generated clients of strict languages send `null` for what was
 * not set; the service must never read it as a value. Returns the value itself when it holds no
 * null property (no copy on the hot path), else a copy without them: the request's own body (kept
 * for the audit record) is never changed. Elements of arrays are not properties: `[null]` stays
 * and is refused by the DTO's rules. Beyond MAX_INPUT_DEPTH the value is left as is (the input
 * guard refuses it).
 */
export function withoutNullProperties(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_INPUT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      const cleaned = withoutNullProperties(element, depth + 1);
      if (cleaned !== element) (copy ??= value.slice())[i] = cleaned;
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (v === null) {
      copy ??= { ...source };
      delete copy[key];
      continue;
    }
    const cleaned = withoutNullProperties(v, depth + 1);
    if (cleaned !== v) (copy ??= { ...source })[key] = cleaned;
  }
  return copy ?? value;
}
