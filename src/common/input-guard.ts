/** Deepest JSON nesting a request may carry (the API's deepest body is 3 levels). */
export const MAX_INPUT_DEPTH = 32;

interface InputProblem {
  field: string;
  rule: 'maxDepth' | 'noNulByte';
  message: string;
}

/**
 * Looks for what must never reach class-transformer or the database: nesting deeper than
 * MAX_INPUT_DEPTH (class-transformer recurses and overflows the stack at ~10,000 levels) and NUL
 * bytes in any string or key (PostgreSQL text cannot hold them). Iterative, so a deep input cannot
 * overflow the check itself. Returns the first problem, or null. Paths are spelled out only for
 * the problem found: every node visited is kept as (parent, key), not as a path string.
 */
export function findInputProblem(value: unknown, root = ''): InputProblem | null {
  // Node i: its value, its parent node (-1 for the root), its key in the parent, its depth.
  const values: unknown[] = [value];
  const parents: number[] = [-1];
  const keys: string[] = [''];
  const depths: number[] = [0];
  const pathOf = (node: number): string => {
    const parts: string[] = [];
    for (let n = node; n > 0; n = parents[n]) parts.push(keys[n]);
    if (root) parts.push(root);
    return parts.reverse().join('.');
  };
  const stack: number[] = [0];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = values[node];
    if (typeof v === 'string') {
      if (v.includes('\u0000')) {
        const path = pathOf(node);
        return {
          field: path || 'value',
          rule: 'noNulByte',
          message: `${path || 'value'} must not contain a NUL (\\u0000) character`,
        };
      }
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = depths[node];
    if (depth >= MAX_INPUT_DEPTH) {
      const path = pathOf(node);
      return {
        field: path || 'body',
        rule: 'maxDepth',
        message: `${path || 'body'} is nested deeper than ${MAX_INPUT_DEPTH} levels`,
      };
    }
    const object = v as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (key.includes('\u0000')) {
        const path = pathOf(node);
        return {
          field: path || 'body',
          rule: 'noNulByte',
          message: `${path || 'body'} has a key with a NUL (\\u0000) character`,
        };
      }
      stack.push(values.length);
      values.push(object[key]);
      parents.push(node);
      keys.push(key);
      depths.push(depth + 1);
    }
  }
  return null;
}
