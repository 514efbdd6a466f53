const STATE_SIZE = 624;
const PERIOD_OFFSET = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/**
 * numpy's legacy `RandomState(seed)`: MT19937 seeded the way numpy seeds it from an integer,
 * with the same derived draws (`random_sample`, `permutation`), so a seed reproduces
 * scikit-learn's `random_state=seed` choices exactly.
 */
export class NumpyRandomState {
  private readonly key = new Uint32Array(STATE_SIZE);
  private position = STATE_SIZE;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`Seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    let value = seed >>> 0;
    for (let i = 0; i < STATE_SIZE; i++) {
      this.key[i] = value;
      const mixed = (value ^ (value >>> 30)) >>> 0;
      value = (Math.imul(1812433253, mixed) + i + 1) >>> 0;
    }
  }

  /** The next raw 32-bit output of the generator. */
  nextUint32(): number {
    if (this.position >= STATE_SIZE) this.regenerate();
    let y = this.key[this.position++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits (numpy's `random_sample`). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A uniform integer in [0, max] (numpy's masked rejection `random_interval`). */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`randomInterval supports 0..2**32-1, got ${max}`);
    }
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** `RandomState.permutation(n)`: a Fisher-Yates shuffle of 0..n-1 from the last element down. */
  permutation(n: number): number[] {
    const result = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const swap = result[i];
      result[i] = result[j];
      result[j] = swap;
    }
    return result;
  }

  private regenerate(): void {
    const key = this.key;
    let i = 0;
    for (; i < STATE_SIZE - PERIOD_OFFSET; i++) {
      const y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + PERIOD_OFFSET] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < STATE_SIZE - 1; i++) {
      const y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + PERIOD_OFFSET - STATE_SIZE] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (key[STATE_SIZE - 1] & UPPER_MASK) | (key[0] & LOWER_MASK);
    key[STATE_SIZE - 1] = key[PERIOD_OFFSET - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.position = 0;
  }
}
