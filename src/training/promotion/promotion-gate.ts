/**
 * The promotion gate, as a pure function: both models' predictions on the same rows, neither
 * fitted on them, in; the decision, both MAEs on exactly those rows and the reason, out.
 *
 * Why a paired bootstrap: on the same rows two models' errors are strongly correlated (the hard
 * diamonds are hard for both), so the noise of the MAE *difference* is much smaller than the
 * noise of each MAE, and it depends on the data. Resampling the per-row differences
 * d_i = |candidate_i − actual_i| − |champion_i − actual_i| (rows drawn with replacement, the
 * same rows for both models) gives the spread of mean(d) = candidate MAE − champion MAE without
 * assuming a distribution; seeded, so a run repeats exactly. The candidate is promoted when the
 * one-sided 95 % upper bound of that difference is below `tolerance` × the champion's MAE: with
 * the default tolerance 0, only a candidate better beyond the noise is promoted, so a
 * promotion is an improvement (up to a 5 % risk at the edge), and a worse or equal candidate
 * never is; a positive tolerance accepts a candidate at most that much worse.
 */
export interface GateInput {
  /** Actual prices of the rows the decision is made on. */
  actual: readonly number[];
  /** The candidate's predictions on those rows (its split model: never fitted on them). */
  candidate: readonly number[];
  /**
   * The champion: none (first model of the family), its predictions on the same rows (its split
   * model, or a refit from its recorded parameters on its own training side), or why it could
   * not be scored (artifact missing or corrupt, refit failed).
   */
  champion:
    | { kind: 'none' }
    | { kind: 'scored'; version: number; predicted: readonly number[]; basis: string }
    | { kind: 'unavailable'; version: number; error: string };
  /** A candidate at most tolerance × champion MAE worse is still promoted (0 = must be better). */
  tolerance: number;
  /** Seed of the bootstrap's resampling. */
  seed: number;
  /** Bootstrap resamples (default 2,000). */
  resamples?: number;
}

export type GateBasis = 'no-champion' | 'champion-unavailable' | 'no-rows' | 'paired-bootstrap';

export interface GateDecision {
  promoted: boolean;
  basis: GateBasis;
  /** Rows the decision was made on. */
  rows: number;
  championVersion: number | null;
  candidateMae: number | null;
  championMae: number | null;
  /** candidate MAE − champion MAE on the rows, and its bootstrap 90 % interval (5 %, 95 %). */
  difference: { mean: number; low: number; high: number } | null;
  tolerance: number;
  reason: string;
}

/** One-sided confidence of the upper bound. */
const UPPER_QUANTILE = 0.95;
const LOWER_QUANTILE = 0.05;
export const DEFAULT_RESAMPLES = 2000;

function mae(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(predicted[i] - actual[i]);
  return sum / actual.length;
}

/** Quantile of sorted values, linear interpolation (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The bootstrap distribution of mean(d): `resamples` means of n rows drawn with replacement. */
export function pairedBootstrap(
  differences: readonly number[],
  resamples: number,
  seed: number,
): { mean: number; low: number; high: number } {
  const n = differences.length;
  // xorshift32, inline: millions of draws (resamples × rows), and no Math call, slow in some hosts
  // (Jest's sandbox); the state must not be 0.
  let x = seed | 0 || 0x9e3779b9;
  const means = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      sum += differences[(x >>> 0) % n]; // modulo bias < n / 2^32: nil
    }
    means[b] = sum / n;
  }
  means.sort((a, b) => a - b);
  const mean = differences.reduce((s, d) => s + d, 0) / n;
  return { mean, low: quantile(means, LOWER_QUANTILE), high: quantile(means, UPPER_QUANTILE) };
}

const money = (x: number) => x.toFixed(2);

export function decidePromotion(input: GateInput): GateDecision {
  const { actual, candidate, champion, tolerance } = input;
  if (candidate.length !== actual.length)
    throw new RangeError(`candidate has ${candidate.length} predictions for ${actual.length} rows`);
  const rows = actual.length;
  const candidateMae = rows > 0 ? mae(actual, candidate) : null;
  const base = { rows, candidateMae, tolerance, difference: null };
  if (champion.kind === 'none')
    return {
      ...base,
      promoted: true,
      basis: 'no-champion',
      championVersion: null,
      championMae: null,
      reason: 'first model of the family',
    };
  if (champion.kind === 'unavailable')
    // A champion that cannot be scored cannot be served either: it cannot defend its title.
    return {
      ...base,
      promoted: true,
      basis: 'champion-unavailable',
      championVersion: champion.version,
      championMae: null,
      reason: `champion v${champion.version} could not be scored (${champion.error})`,
    };
  if (champion.predicted.length !== rows)
    throw new RangeError(`champion has ${champion.predicted.length} predictions for ${rows} rows`);
  if (rows === 0)
    return {
      ...base,
      promoted: false,
      basis: 'no-rows',
      championVersion: champion.version,
      championMae: null,
      reason: `no holdout rows to compare on: champion v${champion.version} stays`,
    };
  const championMae = mae(actual, champion.predicted);
  const differences = actual.map(
    (a, i) => Math.abs(candidate[i] - a) - Math.abs(champion.predicted[i] - a),
  );
  const difference = pairedBootstrap(differences, input.resamples ?? DEFAULT_RESAMPLES, input.seed);
  const margin = tolerance * championMae;
  const promoted = difference.high < margin;
  const figures = `on ${rows} rows neither model was fitted on (${champion.basis}): candidate MAE ${money(candidateMae!)}, champion v${champion.version} ${money(championMae)}, difference ${money(difference.mean)} (90 % bootstrap interval ${money(difference.low)} to ${money(difference.high)})`;
  const rule =
    tolerance > 0
      ? `at most ${(tolerance * 100).toFixed(1)} % (${money(margin)}) worse`
      : 'better beyond the noise';
  return {
    ...base,
    promoted,
    basis: 'paired-bootstrap',
    championVersion: champion.version,
    championMae,
    difference,
    reason: `${promoted ? 'promoted' : 'kept the champion'}: the candidate is ${promoted ? '' : 'not '}${rule} ${figures}`,
  };
}
