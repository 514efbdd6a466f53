/** A train/holdout partition: the rows and their positions in the input, in split order. */
export interface SplitResult<T> {
  train: T[];
  test: T[];
  trainIndices: number[];
  testIndices: number[];
}

export function pickRows<T>(
  rows: readonly T[],
  trainIndices: number[],
  testIndices: number[],
): SplitResult<T> {
  return {
    train: trainIndices.map((i) => rows[i]),
    test: testIndices.map((i) => rows[i]),
    trainIndices,
    testIndices,
  };
}
