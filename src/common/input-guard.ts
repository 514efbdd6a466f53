/** Deepest JSON nesting a request may carry (the API's deepest body is 3 levels). */
export const MAX_INPUT_DEPTH = 32;

export interface InputProblem {
  field: string;
  rule: 'maxDepth' | 'noNulByte';
  message: string;
}

/**
 * Looks for what must never reach class-transformer or the database: nesting deeper than
 * MAX_INPUT_DEPTH (class-transformer recurses and overflows the stack at ~10,000 levels) and NUL
 * bytes in any string or key (PostgreSQL text cannot hold them). Iterative, so a deep input cannot
 * overflow the check itself. Returns the first problem, or null.
 */
export function findInputProblem(value: unknown, root = ''): InputProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value, path: root, depth: 0 },
  ];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000'))
        return {
          field: path || 'value',
          rule: 'noNulByte',
          message: `${path || 'value'} must not contain a NUL (\\u0000) character`,
        };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH)
      return {
        field: path || 'body',
        rule: 'maxDepth',
        message: `${path || 'body'} is nested deeper than ${MAX_INPUT_DEPTH} levels`,
      };
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000'))
        return {
          field: path || 'body',
          rule: 'noNulByte',
          message: `${path || 'body'} has a key with a NUL (\\u0000) character`,
        };
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return null;
}
