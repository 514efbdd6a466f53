import { CLARITIES, COLORS, CUTS } from './diamond-vocabulary';
import { IndexedDiamond, SimilarDiamondsIndex } from './similar-diamonds.index';

const row = (
  id: number,
  carat: number,
  cut: IndexedDiamond['cut'] = 'Ideal',
  color: IndexedDiamond['color'] = 'G',
  clarity: IndexedDiamond['clarity'] = 'VS1',
): IndexedDiamond => ({
  id,
  carat,
  cut,
  color,
  clarity,
  depth: 61,
  table: 57,
  x: 5,
  y: 5,
  z: 3,
  price: 1000 + id,
});

/** The documented order, by brute force: distance, then lighter first, then lower id first. */
function reference(
  rows: IndexedDiamond[],
  cut: string,
  color: string,
  clarity: string,
  carat: number,
  n: number,
): number[] {
  return rows
    .filter((r) => r.cut === cut && r.color === color && r.clarity === clarity)
    .sort(
      (a, b) =>
        Math.round((Math.abs(a.carat - carat) - Math.abs(b.carat - carat)) * 1e9) ||
        a.carat - b.carat ||
        a.id - b.id,
    )
    .slice(0, n)
    .map((r) => r.id);
}

describe('SimilarDiamondsIndex', () => {
  it('orders by carat distance; equal distance: lighter first; equal carat: lower id first', () => {
    // Inserted out of order on purpose: the index sorts.
    const rows = [
      row(7, 0.6),
      row(3, 0.4),
      row(5, 0.5),
      row(2, 0.6),
      row(9, 0.4),
      row(4, 0.5),
      row(1, 0.3),
      row(8, 0.71),
    ];
    const index = new SimilarDiamondsIndex(rows);
    expect(index.query('Ideal', 'G', 'VS1', 0.5, 8).map((d) => d.id)).toEqual([
      4, 5, 3, 9, 2, 7, 1, 8,
    ]);
    // 0.55 is as far from 0.5 as from 0.6: the 0.5s come first.
    expect(index.query('Ideal', 'G', 'VS1', 0.55, 3).map((d) => d.id)).toEqual([4, 5, 2]);
    // n cuts a run of equal carats after its lowest ids.
    expect(index.query('Ideal', 'G', 'VS1', 0.45, 3).map((d) => d.id)).toEqual([3, 9, 4]);
  });

  it('returns an empty list for a grade with no diamond, or n = 0', () => {
    const index = new SimilarDiamondsIndex([row(1, 0.5)]);
    expect(index.query('Fair', 'D', 'IF', 0.5, 5)).toEqual([]);
    expect(index.query('Ideal', 'G', 'VS1', 0.5, 0)).toEqual([]);
    expect(index.query('Ideal', 'G', 'VS1', 9, 5).map((d) => d.id)).toEqual([1]);
  });

  it('agrees with a brute-force sort on random data with many equal carats', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: IndexedDiamond[] = [];
    for (let id = 1; id <= 3000; id++) {
      rows.push(
        row(
          id,
          Math.round((0.2 + random() * 2) * 20) / 20,
          CUTS[Math.floor(random() * 2)],
          COLORS[Math.floor(random() * 2)],
          CLARITIES[Math.floor(random() * 2)],
        ),
      );
    }
    const index = new SimilarDiamondsIndex(rows);
    for (let q = 0; q < 300; q++) {
      const cut = CUTS[Math.floor(random() * 2)];
      const color = COLORS[Math.floor(random() * 2)];
      const clarity = CLARITIES[Math.floor(random() * 2)];
      const carat = Math.round((0.1 + random() * 2.5) * 100) / 100;
      const n = 1 + Math.floor(random() * 60);
      expect(index.query(cut, color, clarity, carat, n).map((d) => d.id)).toEqual(
        reference(rows, cut, color, clarity, carat, n),
      );
    }
  });
});
