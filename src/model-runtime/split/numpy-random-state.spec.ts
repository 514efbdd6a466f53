import { NumpyRandomState } from './numpy-random-state';

describe('NumpyRandomState', () => {
  it('reproduces numpy RandomState(42).permutation(10)', () => {
    expect(new NumpyRandomState(42).permutation(10)).toEqual([8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
  });

  it('reproduces the head of numpy RandomState(42).permutation(4989)', () => {
    expect(new NumpyRandomState(42).permutation(4989).slice(0, 8)).toEqual([
      1839, 1536, 1662, 1075, 4201, 2042, 4078, 1255,
    ]);
  });

  it('reproduces numpy RandomState(42).random_sample()', () => {
    const random = new NumpyRandomState(42);
    expect(random.randomSample()).toBe(0.3745401188473625);
    expect(random.randomSample()).toBe(0.9507143064099162);
  });

  it('permutes every index exactly once', () => {
    const permutation = new NumpyRandomState(7).permutation(1000);
    expect([...permutation].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it('refuses seeds numpy refuses', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(RangeError);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(RangeError);
    expect(() => new NumpyRandomState(1.5)).toThrow(RangeError);
  });
});
