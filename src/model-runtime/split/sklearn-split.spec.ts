import { NumpyRandomState } from './numpy-random-state';
import { sklearnSplitIndices, sklearnTrainTestSplit } from './sklearn-split';

describe('sklearnTrainTestSplit', () => {
  it('splits 4,989 rows like train_test_split(test_size=0.2, random_state=42)', () => {
    const rows = Array.from({ length: 4989 }, (_, i) => ({ id: i }));
    const permutation = new NumpyRandomState(42).permutation(4989);

    const split = sklearnTrainTestSplit(rows, { testSize: 0.2, randomState: 42 });

    expect(split.test).toHaveLength(998);
    expect(split.train).toHaveLength(3991);
    expect(split.testIndices).toEqual(permutation.slice(0, 998));
    expect(split.trainIndices).toEqual(permutation.slice(998));
    expect(split.test.slice(0, 8).map((row) => row.id)).toEqual([
      1839, 1536, 1662, 1075, 4201, 2042, 4078, 1255,
    ]);
  });

  it('sizes the test part with the same float ceil as scikit-learn', () => {
    // scikit-learn: n_test = ceil(test_size * n); 0.07 * 100 is 7.000000000000001 in binary floating point.
    expect(sklearnSplitIndices(100, { testSize: 0.07, randomState: 0 }).testIndices).toHaveLength(
      8,
    );
    expect(sklearnSplitIndices(10, { testSize: 0.2, randomState: 0 }).testIndices).toHaveLength(2);
    expect(sklearnSplitIndices(4989, { testSize: 0.2, randomState: 0 }).testIndices).toHaveLength(
      998,
    );
  });

  it('refuses a split that leaves a side empty', () => {
    expect(() => sklearnSplitIndices(1, { testSize: 0.2, randomState: 0 })).toThrow(RangeError);
    expect(() => sklearnSplitIndices(10, { testSize: 1, randomState: 0 })).toThrow(RangeError);
  });
});
