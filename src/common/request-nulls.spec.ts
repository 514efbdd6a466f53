import { withoutNullProperties } from './request-nulls';

describe('withoutNullProperties (null in a request is read as absent)', () => {
  it('drops null properties at any depth, in objects inside arrays too', () => {
    expect(
      withoutNullProperties({
        carat: 0.7,
        level: null,
        model: { family: 'xgboost', version: null },
        items: [{ carat: 1, x: null }, null],
      }),
    ).toEqual({ carat: 0.7, model: { family: 'xgboost' }, items: [{ carat: 1 }, null] });
  });

  it('returns the same value, uncopied, when there is no null property', () => {
    const body = { carat: 0.7, items: [{ carat: 1 }], model: { family: 'linear' } };
    expect(withoutNullProperties(body)).toBe(body);
  });

  it('never changes the value it was given', () => {
    const body = { level: null, model: { version: null } };
    withoutNullProperties(body);
    expect(body).toEqual({ level: null, model: { version: null } });
  });

  it('leaves scalars, arrays of scalars and null itself alone', () => {
    expect(withoutNullProperties(null)).toBeNull();
    expect(withoutNullProperties('x')).toBe('x');
    const list = [1, null, 'a'];
    expect(withoutNullProperties(list)).toBe(list);
  });

  it('stops at the input depth limit instead of recursing without end', () => {
    let deep: unknown = { leaf: null };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(() => withoutNullProperties(deep)).not.toThrow();
  });
});
