import { CLARITIES, COLORS, CUTS, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { NumpyRandomState } from './numpy-random-state';
import { canonicalDiamondKey, isHoldoutRow, stableHashSplit } from './stable-hash-split';

function syntheticDiamonds(count: number, seed: number): PricedDiamond[] {
  const random = new NumpyRandomState(seed);
  const pick = <T>(values: readonly T[]) =>
    values[Math.floor(random.randomSample() * values.length)];
  const round = (value: number, digits: number) => Number(value.toFixed(digits));
  return Array.from({ length: count }, () => {
    const carat = round(0.2 + random.randomSample() * 2.5, 2);
    return {
      carat,
      cut: pick(CUTS),
      color: pick(COLORS),
      clarity: pick(CLARITIES),
      depth: round(58 + random.randomSample() * 6, 1),
      table: round(53 + random.randomSample() * 8, 1),
      price: Math.round(300 + carat * 4000 * (0.5 + random.randomSample())),
      x: round(3.8 + carat * 2, 2),
      y: round(3.8 + carat * 2, 2),
      z: round(2.4 + carat * 1.2, 2),
    };
  });
}

describe('stableHashSplit', () => {
  const rows = syntheticDiamonds(5000, 1);

  it('holds out about the requested fraction', () => {
    const split = stableHashSplit(rows);
    expect(split.test.length + split.train.length).toBe(rows.length);
    expect(split.test.length / rows.length).toBeGreaterThan(0.18);
    expect(split.test.length / rows.length).toBeLessThan(0.22);
  });

  it('keeps holdout rows in the holdout as the dataset grows', () => {
    const before = stableHashSplit(rows.slice(0, 3000));
    const grown = [...syntheticDiamonds(2000, 2), ...rows.slice(0, 3000).reverse()];
    const after = stableHashSplit(grown);

    const heldOutAfter = new Set(after.test.map(canonicalDiamondKey));
    const trainedAfter = new Set(after.train.map(canonicalDiamondKey));
    expect(before.test.length).toBeGreaterThan(0);
    for (const row of before.test) expect(heldOutAfter.has(canonicalDiamondKey(row))).toBe(true);
    for (const row of before.train) expect(trainedAfter.has(canonicalDiamondKey(row))).toBe(true);
  });

  it('keeps input order on each side and reports positions', () => {
    const split = stableHashSplit(rows);
    expect(split.testIndices).toEqual([...split.testIndices].sort((a, b) => a - b));
    expect(split.trainIndices).toEqual([...split.trainIndices].sort((a, b) => a - b));
    expect(split.test.map((row) => rows.indexOf(row))).toEqual(split.testIndices);
  });

  it('sends duplicates to the same side and ignores extra fields such as ids', () => {
    const row = rows[0];
    const copies = [
      { ...row, id: 1 },
      { ...row, id: 2 },
    ];
    const split = stableHashSplit(copies);
    expect(split.test.length === 0 || split.train.length === 0).toBe(true);
    expect(isHoldoutRow(copies[0])).toBe(isHoldoutRow(row));
  });

  it('moves rows when the salt changes', () => {
    const plain = stableHashSplit(rows).testIndices;
    const salted = stableHashSplit(rows, { salt: 'another holdout' }).testIndices;
    expect(salted).not.toEqual(plain);
  });
});
