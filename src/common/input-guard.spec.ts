import { findInputProblem, MAX_INPUT_DEPTH } from './input-guard';

describe('findInputProblem', () => {
  it('passes clean input of any shape', () => {
    expect(findInputProblem({ items: [{ cut: 'Ideal', carat: 0.5 }], level: 0.9 })).toBeNull();
    expect(findInputProblem('text')).toBeNull();
    expect(findInputProblem(null)).toBeNull();
  });

  it('names the field holding a NUL, however deep', () => {
    const items = Array.from({ length: 5 }, () => ({ cut: 'Ideal', color: 'G' }));
    items[3].color = 'G\u0000';
    expect(findInputProblem({ items })).toEqual({
      field: 'items.3.color',
      rule: 'noNulByte',
      message: 'items.3.color must not contain a NUL (\\u0000) character',
    });
    expect(findInputProblem('a\u0000b', 'query')?.field).toBe('query');
    expect(findInputProblem({ cut: '\u0000' }, 'query')?.field).toBe('query.cut');
  });

  it('names the object whose key holds a NUL', () => {
    expect(findInputProblem({ model: { ['fam\u0000ily']: 'x' } })).toEqual({
      field: 'model',
      rule: 'noNulByte',
      message: 'model has a key with a NUL (\\u0000) character',
    });
    expect(findInputProblem({ ['\u0000']: 1 })?.field).toBe('body');
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const problem = findInputProblem(deep);
    expect(problem?.rule).toBe('maxDepth');
    expect(problem?.field).toBe(Array(MAX_INPUT_DEPTH).fill('a').join('.'));
    let fine: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) fine = [fine];
    expect(findInputProblem(fine)).toBeNull();
  });
});
