import { Clarity, Color, Cut, PricedDiamond } from './diamond-vocabulary';

/** Carat distance rounded to 1e-9 so 0.5-0.4 and 0.6-0.5 count as equal (a tie, not a float accident). */
function distance(a: number, b: number): number {
  return Math.round((a - b) * 1e9);
}

export type IndexedDiamond = PricedDiamond & { id: number };

/**
 * In-memory index: one array per (cut, color, clarity), sorted by carat then id.
 * A query is a binary search plus a two-pointer walk outwards: O(log N + n).
 *
 * Order of the answer: closest carat first; on equal distance the smaller carat first;
 * on equal carat the lower id (the earlier ingested row) first.
 */
export class SimilarDiamondsIndex {
  private readonly groups = new Map<string, IndexedDiamond[]>();
  readonly size: number;

  constructor(rows: Iterable<IndexedDiamond>) {
    let size = 0;
    for (const row of rows) {
      const key = SimilarDiamondsIndex.key(row.cut, row.color, row.clarity);
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = []));
      group.push(row);
      size++;
    }
    for (const group of this.groups.values())
      group.sort((a, b) => a.carat - b.carat || a.id - b.id);
    this.size = size;
  }

  static key(cut: Cut, color: Color, clarity: Clarity): string {
    return `${cut}|${color}|${clarity}`;
  }

  query(cut: Cut, color: Color, clarity: Clarity, carat: number, n: number): IndexedDiamond[] {
    const group = this.groups.get(SimilarDiamondsIndex.key(cut, color, clarity));
    if (!group || n <= 0) return [];
    // First position whose carat >= the query's.
    let lo = 0;
    let hi = group.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (group[mid].carat < carat) lo = mid + 1;
      else hi = mid;
    }
    // left walks down from lo-1, right walks up from lo. Among the rows below, the ones with the
    // largest carat are closest; equal carats below must come out lowest id first, so a run of
    // equal carats on the left is emitted in ascending id order.
    const out: IndexedDiamond[] = [];
    let left = lo - 1;
    let right = lo;
    while (out.length < n && (left >= 0 || right < group.length)) {
      const dl = left >= 0 ? distance(carat, group[left].carat) : Infinity;
      const dr = right < group.length ? distance(group[right].carat, carat) : Infinity;
      if (dl <= dr) {
        // Take the whole run of equal carat on the left, lowest id first. Its start is found by
        // binary search so that a long run of equal carats keeps the query O(log N + n).
        const value = group[left].carat;
        let start = left;
        if (start > 0 && group[start - 1].carat === value) {
          let a = 0;
          let b = left;
          while (a < b) {
            const mid = (a + b) >>> 1;
            if (group[mid].carat < value) a = mid + 1;
            else b = mid;
          }
          start = a;
        }
        for (let i = start; i <= left && out.length < n; i++) out.push(group[i]);
        left = start - 1;
      } else {
        out.push(group[right]);
        right++;
      }
    }
    return out;
  }
}
