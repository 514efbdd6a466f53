/**
 * mulberry32: a small seeded uniform generator on [0, 1), so a shuffle, a permutation or a
 * test's data repeats exactly for a seed (scripts/sample-pool.js draws the pool samples with it).
 */
export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
