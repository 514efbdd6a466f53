import { summarizeFieldErrors } from './validation.pipe';

describe('summarizeFieldErrors (bounded 400 messages)', () => {
  it('says the same problem on many items once, with the count and the first fields', () => {
    const errors = Array.from({ length: 1000 }, (_, i) => ({
      field: `items.${i}.pad`,
      rules: { whitelistValidation: 'property pad should not exist' },
    }));
    const { message, details } = summarizeFieldErrors(errors);
    expect(message).toBe(
      'property pad should not exist (1000 times: items.0.pad, items.1.pad, items.2.pad, …)',
    );
    expect(details).toHaveLength(5);
    expect(details[0]).toEqual(errors[0]);
  });

  it('keeps distinct problems apart, each said once, in the order met', () => {
    const { message, details } = summarizeFieldErrors([
      { field: 'carat', rules: { max: 'carat must not be greater than 10' } },
      { field: 'items.0.cut', rules: { isIn: 'cut must be one of: Ideal' } },
      { field: 'items.1.cut', rules: { isIn: 'cut must be one of: Ideal' } },
      { field: 'items.1.x', rules: { min: 'x must be > 0' } },
    ]);
    expect(message).toBe(
      'carat must not be greater than 10; cut must be one of: Ideal (2 times: items.0.cut, items.1.cut); x must be > 0',
    );
    expect(details.map((d) => d.field)).toEqual([
      'carat',
      'items.0.cut',
      'items.1.cut',
      'items.1.x',
    ]);
  });
});
