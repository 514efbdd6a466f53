import { NumpyRandomState } from './numpy-random-state';
import { pickRows, SplitResult } from './split.types';

interface SklearnSplitOptions {
  /** Fraction of rows in the test part (scikit-learn's float `test_size`). Default 0.2. */
  testSize?: number;
  /** scikit-learn's integer `random_state`. */
  randomState: number;
}

/**
 * Row positions as scikit-learn's `train_test_split(test_size, random_state)` picks them:
 * test = the first ceil(test_size * n) entries of `RandomState(random_state).permutation(n)`,
 * train = the rest, in permutation order.
 */
export function sklearnSplitIndices(
  n: number,
  options: SklearnSplitOptions,
): { trainIndices: number[]; testIndices: number[] } {
  const testSize = options.testSize ?? 0.2;
  if (!(testSize > 0 && testSize < 1)) {
    throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  }
  // The same float product scikit-learn ceils, so edge cases (0.2 * 15 = 3.0000000000000004) agree.
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  if (nTrain <= 0 || nTest <= 0) {
    throw new RangeError(
      `Cannot split ${n} rows with testSize ${testSize}: one side would be empty`,
    );
  }
  const permutation = new NumpyRandomState(options.randomState).permutation(n);
  return { testIndices: permutation.slice(0, nTest), trainIndices: permutation.slice(nTest) };
}

/** scikit-learn compatible `train_test_split` of rows. */
export function sklearnTrainTestSplit<T>(
  rows: readonly T[],
  options: SklearnSplitOptions,
): SplitResult<T> {
  const { trainIndices, testIndices } = sklearnSplitIndices(rows.length, options);
  return pickRows(rows, trainIndices, testIndices);
}
