import { NumpyRandomState } from '../split/numpy-random-state';
import { fromInternal, internalDomain, ParzenEstimator, toInternal } from './parzen-estimator';
import { ParamDistribution, SearchSpace, validateSearchSpace } from './search-space';
import { ParamValue, TrialParams, TrialRecord } from './trial';

/** Proposes the parameters of the next trial from the finished ones. */
export interface Sampler {
  /** `number` is the trial's number: seeded samplers derive their randomness from it. */
  sample(space: SearchSpace, finished: readonly TrialRecord[], number?: number): TrialParams;
}

/**
 * A generator for one trial, seeded from the sampler's seed and the trial number (when known),
 * so a trial's proposal does not depend on how many proposals were drawn before it.
 */
function trialRandomState(seed: number, fallback: NumpyRandomState, number?: number) {
  if (number === undefined) return fallback;
  // Knuth's multiplicative hash spreads consecutive numbers over the seed space.
  return new NumpyRandomState((seed + Math.imul(number + 1, 2654435761)) >>> 0);
}

function sampleUniform(distribution: ParamDistribution, rng: NumpyRandomState): ParamValue {
  const u = rng.randomSample();
  if (distribution.kind === 'categorical') {
    return distribution.choices[
      Math.min(distribution.choices.length - 1, Math.floor(u * distribution.choices.length))
    ];
  }
  if (distribution.kind === 'int' && !distribution.log) {
    const span = distribution.high - distribution.low + 1;
    return Math.min(distribution.high, distribution.low + Math.floor(u * span));
  }
  const { low, high } = internalDomain(distribution);
  const halfStep = distribution.kind === 'int' ? 0.5 : 0;
  const lowEdge = distribution.kind === 'int' ? Math.log(distribution.low - halfStep) : low;
  const highEdge = distribution.kind === 'int' ? Math.log(distribution.high + halfStep) : high;
  return fromInternal(distribution, lowEdge + u * (highEdge - lowEdge));
}

/** Independent uniform sampling (log-uniform for log ranges). */
export class RandomSampler implements Sampler {
  private readonly rng: NumpyRandomState;

  constructor(private readonly seed: number) {
    this.rng = new NumpyRandomState(seed >>> 0);
  }

  sample(space: SearchSpace, _finished?: readonly TrialRecord[], number?: number): TrialParams {
    validateSearchSpace(space);
    const rng = trialRandomState(this.seed, this.rng, number);
    const params: TrialParams = {};
    for (const [name, distribution] of Object.entries(space)) {
      params[name] = sampleUniform(distribution, rng);
    }
    return params;
  }
}

interface TpeSamplerOptions {
  seed: number;
  /** Random trials before TPE takes over (Optuna: 10). */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter (Optuna: 24). */
  nEiCandidates?: number;
  /** Size of the "good" group for n usable trials (Optuna: min(ceil(0.1 n), 25)). */
  gamma?: (n: number) => number;
  /** Kernel weights for n observations in trial order (Optuna: flat, older ones ramped down past 25). */
  weights?: (n: number) => number[];
  priorWeight?: number;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
}

function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const rampLength = n - 25;
  const ramp = Array.from({ length: rampLength }, (_, i) =>
    rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1),
  );
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function lastIntermediate(trial: TrialRecord): { step: number; value: number } {
  const values = trial.intermediate ?? [];
  return values.length > 0 ? values[values.length - 1] : { step: -Infinity, value: Infinity };
}

/**
 * Splits usable trials into the good group (l) and the rest (g) as Optuna does: complete trials
 * ranked by value, then pruned trials ranked by how far they got and their last reported value.
 */
export function splitTrials(
  trials: readonly TrialRecord[],
  nBelow: number,
): { below: TrialRecord[]; above: TrialRecord[] } {
  const complete = trials
    .filter((t) => t.state === 'complete')
    .sort((a, b) => (a.value as number) - (b.value as number) || a.number - b.number);
  const pruned = trials
    .filter((t) => t.state === 'pruned')
    .sort((a, b) => {
      const la = lastIntermediate(a);
      const lb = lastIntermediate(b);
      return lb.step - la.step || la.value - lb.value || a.number - b.number;
    });
  const ranked = [...complete, ...pruned];
  const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
  return {
    below: ranked.slice(0, nBelow).sort(byNumber),
    above: ranked.slice(nBelow).sort(byNumber),
  };
}

/**
 * Optuna's default sampler: independent (univariate) Tree-structured Parzen Estimator. After
 * `nStartupTrials` random trials, each parameter is drawn as the best of `nEiCandidates`
 * candidates from l(x) by the ratio l(x)/g(x). Seeded: the same seed and the same finished trials
 * give the same proposals.
 */
export class TpeSampler implements Sampler {
  private readonly seed: number;
  private readonly rng: NumpyRandomState;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly weights: (n: number) => number[];
  private readonly estimatorOptions: {
    priorWeight: number;
    considerMagicClip: boolean;
    considerEndpoints: boolean;
  };

  constructor(options: TpeSamplerOptions) {
    this.seed = options.seed >>> 0;
    this.rng = new NumpyRandomState(this.seed);
    this.nStartupTrials = options.nStartupTrials ?? 10;
    this.nEiCandidates = options.nEiCandidates ?? 24;
    this.gamma = options.gamma ?? defaultGamma;
    this.weights = options.weights ?? defaultWeights;
    this.estimatorOptions = {
      priorWeight: options.priorWeight ?? 1,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
    };
  }

  sample(space: SearchSpace, finished: readonly TrialRecord[], number?: number): TrialParams {
    validateSearchSpace(space);
    const rng = trialRandomState(this.seed, this.rng, number);
    const usable = finished.filter(
      (t) => (t.state === 'complete' && Number.isFinite(t.value)) || t.state === 'pruned',
    );
    const params: TrialParams = {};
    if (usable.length < this.nStartupTrials) {
      for (const [name, distribution] of Object.entries(space)) {
        params[name] = sampleUniform(distribution, rng);
      }
      return params;
    }
    const { below, above } = splitTrials(usable, this.gamma(usable.length));
    for (const [name, distribution] of Object.entries(space)) {
      params[name] = this.sampleParam(name, distribution, below, above, rng);
    }
    return params;
  }

  private sampleParam(
    name: string,
    distribution: ParamDistribution,
    below: readonly TrialRecord[],
    above: readonly TrialRecord[],
    rng: NumpyRandomState,
  ): ParamValue {
    const observe = (trials: readonly TrialRecord[]) =>
      trials
        .map((t) => t.params[name])
        .filter((v) => v !== undefined && inDistribution(distribution, v))
        .map((v) => toInternal(distribution, v));
    const belowObs = observe(below);
    const aboveObs = observe(above);
    const l = new ParzenEstimator(
      distribution,
      belowObs,
      this.weights(belowObs.length),
      this.estimatorOptions,
    );
    const g = new ParzenEstimator(
      distribution,
      aboveObs,
      this.weights(aboveObs.length),
      this.estimatorOptions,
    );
    const candidates = l.sample(rng, this.nEiCandidates);
    let best = candidates[0];
    let bestScore = -Infinity;
    for (const candidate of candidates) {
      const score = l.logPdf(candidate) - g.logPdf(candidate);
      if (score > bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    return fromInternal(distribution, best);
  }
}

function inDistribution(distribution: ParamDistribution, value: ParamValue): boolean {
  if (distribution.kind === 'categorical') return distribution.choices.includes(value);
  return typeof value === 'number' && value >= distribution.low && value <= distribution.high;
}

/**
 * Hands out given parameter sets first, then defers to another sampler (Optuna's
 * `enqueue_trial`): a search then starts from a known-reasonable point, so even a budget of one
 * or two trials yields a usable model instead of a random draw.
 */
export class EnqueuedSampler implements Sampler {
  private readonly queue: TrialParams[];

  constructor(
    private readonly inner: Sampler,
    enqueued: readonly TrialParams[],
  ) {
    this.queue = [...enqueued];
  }

  sample(space: SearchSpace, finished: readonly TrialRecord[], number?: number): TrialParams {
    // By trial number when known: trial i gets the i-th enqueued set whatever the call order.
    if (number !== undefined) {
      return number < this.queue.length
        ? this.queue[number]
        : this.inner.sample(space, finished, number);
    }
    return this.queue.shift() ?? this.inner.sample(space, finished);
  }
}
