import { NumpyRandomState } from '../split/numpy-random-state';
import {
  fastNormalCdf,
  fastNormalMass,
  logNormalPdf,
  logSumExp,
  normalQuantile,
} from './normal-math';
import { ParamDistribution } from './search-space';
import { ParamValue } from './trial';

interface ParzenEstimatorOptions {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
}

/** A parameter's domain as TPE models it: log ranges in log space, integers on a unit grid. */
interface InternalDomain {
  low: number;
  high: number;
  /** Grid spacing for integers on a linear scale; null for continuous (or log-scaled) values. */
  step: number | null;
}

export function internalDomain(
  distribution: Exclude<ParamDistribution, { kind: 'categorical' }>,
): InternalDomain {
  if (distribution.log) {
    return { low: Math.log(distribution.low), high: Math.log(distribution.high), step: null };
  }
  return {
    low: distribution.low,
    high: distribution.high,
    step: distribution.kind === 'int' ? 1 : null,
  };
}

/** Maps a parameter value to TPE's internal number: log for log ranges, category index otherwise. */
export function toInternal(distribution: ParamDistribution, value: ParamValue): number {
  if (distribution.kind === 'categorical') return distribution.choices.indexOf(value);
  return distribution.log ? Math.log(value as number) : (value as number);
}

export function fromInternal(distribution: ParamDistribution, internal: number): ParamValue {
  if (distribution.kind === 'categorical') return distribution.choices[internal];
  const raw = distribution.log ? Math.exp(internal) : internal;
  const value = distribution.kind === 'int' ? Math.round(raw) : raw;
  return Math.min(distribution.high, Math.max(distribution.low, value));
}

/** Draws a standard normal truncated to [a, b] from a uniform u, by inverting the CDF. */
function truncatedStandardNormal(a: number, b: number, u: number): number {
  let x: number;
  if (a >= 0) {
    const qa = fastNormalCdf(-a);
    const qb = fastNormalCdf(-b);
    x = -normalQuantile(qa - u * (qa - qb));
  } else {
    const pa = fastNormalCdf(a);
    const pb = fastNormalCdf(b);
    x = normalQuantile(pa + u * (pb - pa));
  }
  return Math.min(b, Math.max(a, x));
}

function pickComponent(weights: readonly number[], u: number): number {
  let cumulative = 0;
  for (let k = 0; k < weights.length; k++) {
    cumulative += weights[k];
    if (u < cumulative) return k;
  }
  return weights.length - 1;
}

/**
 * Optuna's univariate Parzen estimator: a weighted mixture of one kernel per observation plus a
 * prior kernel. Numbers use truncated normals whose bandwidth is the larger gap to a neighbour
 * (clipped by the "magic clip"); categories use smoothed one-hot kernels.
 */
export class ParzenEstimator {
  private readonly weights: number[];
  private readonly logWeights: number[];
  private readonly mus: number[] = [];
  private readonly sigmas: number[] = [];
  private readonly normalizers: number[] = [];
  private readonly categoryWeights: number[][] = [];
  private readonly domain: InternalDomain | null;

  constructor(
    private readonly distribution: ParamDistribution,
    /** Internal values (see toInternal), in trial-number order. */
    observations: readonly number[],
    observationWeights: readonly number[],
    options: ParzenEstimatorOptions,
  ) {
    const considerPrior = true;
    const raw = [...observationWeights, ...(considerPrior ? [options.priorWeight] : [])];
    const total = raw.reduce((sum, w) => sum + w, 0);
    this.weights = raw.map((w) => w / total);
    this.logWeights = this.weights.map(Math.log);

    if (distribution.kind === 'categorical') {
      this.domain = null;
      const nChoices = distribution.choices.length;
      const nKernels = observations.length + 1;
      const base = options.priorWeight / nKernels;
      for (let k = 0; k < nKernels; k++) {
        const row = new Array<number>(nChoices).fill(base);
        if (k < observations.length) row[observations[k]] += 1;
        const rowTotal = row.reduce((sum, w) => sum + w, 0);
        this.categoryWeights.push(row.map((w) => w / rowTotal));
      }
      return;
    }

    const domain = internalDomain(distribution);
    this.domain = domain;
    const { low, high } = domain;
    const halfStep = (domain.step ?? 0) / 2;
    const priorMu = 0.5 * (low + high);
    const withPrior = [...observations, priorMu];
    const order = withPrior.map((_, i) => i).sort((i, j) => withPrior[i] - withPrior[j]);
    const sorted = [low - halfStep, ...order.map((i) => withPrior[i]), high + halfStep];
    const sortedSigmas: number[] = [];
    for (let i = 1; i < sorted.length - 1; i++) {
      sortedSigmas.push(Math.max(sorted[i] - sorted[i - 1], sorted[i + 1] - sorted[i]));
    }
    if (!options.considerEndpoints && sorted.length >= 4) {
      sortedSigmas[0] = sorted[2] - sorted[1];
      sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
    }
    const sigmaOf = new Array<number>(withPrior.length);
    order.forEach((original, rank) => (sigmaOf[original] = sortedSigmas[rank]));

    const width = high - low + 2 * halfStep;
    const maxSigma = width;
    const minSigma = options.considerMagicClip
      ? width / Math.min(100, 1 + observations.length + 1)
      : 1e-12;
    for (let i = 0; i < observations.length; i++) {
      this.mus.push(observations[i]);
      this.sigmas.push(Math.min(maxSigma, Math.max(minSigma, sigmaOf[i])));
    }
    this.mus.push(priorMu);
    this.sigmas.push(width);

    for (let k = 0; k < this.mus.length; k++) {
      const a = (low - halfStep - this.mus[k]) / this.sigmas[k];
      const b = (high + halfStep - this.mus[k]) / this.sigmas[k];
      this.normalizers.push(Math.log(Math.max(fastNormalMass(a, b), 1e-300)));
    }
  }

  /** Draws internal values from the mixture. */
  sample(rng: NumpyRandomState, count: number): number[] {
    const samples: number[] = [];
    for (let n = 0; n < count; n++) {
      const k = pickComponent(this.weights, rng.randomSample());
      if (this.distribution.kind === 'categorical') {
        samples.push(pickComponent(this.categoryWeights[k], rng.randomSample()));
        continue;
      }
      const { low, high, step } = this.domain as InternalDomain;
      const halfStep = (step ?? 0) / 2;
      const mu = this.mus[k];
      const sigma = this.sigmas[k];
      const a = (low - halfStep - mu) / sigma;
      const b = (high + halfStep - mu) / sigma;
      let x = mu + sigma * truncatedStandardNormal(a, b, rng.randomSample());
      if (step !== null) x = low + Math.round((x - low) / step) * step;
      samples.push(Math.min(high, Math.max(low, x)));
    }
    return samples;
  }

  /** log density (or log probability for grids and categories) of an internal value. */
  logPdf(x: number): number {
    const terms: number[] = [];
    if (this.distribution.kind === 'categorical') {
      for (let k = 0; k < this.weights.length; k++) {
        terms.push(this.logWeights[k] + Math.log(this.categoryWeights[k][x]));
      }
      return logSumExp(terms);
    }
    const { step } = this.domain as InternalDomain;
    for (let k = 0; k < this.weights.length; k++) {
      const mu = this.mus[k];
      const sigma = this.sigmas[k];
      let logKernel: number;
      if (step === null) {
        logKernel = logNormalPdf((x - mu) / sigma) - Math.log(sigma);
      } else {
        const mass = fastNormalMass((x - step / 2 - mu) / sigma, (x + step / 2 - mu) / sigma);
        logKernel =
          mass > 1e-300 ? Math.log(mass) : logNormalPdf((x - mu) / sigma) + Math.log(step / sigma);
      }
      terms.push(this.logWeights[k] + logKernel - this.normalizers[k]);
    }
    return logSumExp(terms);
  }
}
