import { ParamValue, TrialParams } from './trial';

interface FloatParam {
  kind: 'float';
  low: number;
  high: number;
  log?: boolean;
}

interface IntParam {
  kind: 'int';
  low: number;
  high: number;
  log?: boolean;
}

interface CategoricalParam {
  kind: 'categorical';
  choices: readonly ParamValue[];
}

export type ParamDistribution = FloatParam | IntParam | CategoricalParam;
export type SearchSpace = Readonly<Record<string, ParamDistribution>>;

export function validateSearchSpace(space: SearchSpace): void {
  for (const [name, distribution] of Object.entries(space)) {
    if (distribution.kind === 'categorical') {
      if (distribution.choices.length === 0) throw new RangeError(`${name}: no choices`);
      continue;
    }
    const { low, high, log } = distribution;
    if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high)) {
      throw new RangeError(`${name}: bad range [${low}, ${high}]`);
    }
    if (log && low <= 0) throw new RangeError(`${name}: a log range needs low > 0`);
    if (distribution.kind === 'int' && !(Number.isInteger(low) && Number.isInteger(high))) {
      throw new RangeError(`${name}: an int range needs integer bounds`);
    }
  }
}

/** True when every parameter of the space is present in `params` and inside its range. */
export function containsParams(space: SearchSpace, params: TrialParams): boolean {
  return Object.entries(space).every(([name, distribution]) => {
    const value = params[name];
    if (distribution.kind === 'categorical') return distribution.choices.includes(value);
    if (typeof value !== 'number') return false;
    if (distribution.kind === 'int' && !Number.isInteger(value)) return false;
    return value >= distribution.low && value <= distribution.high;
  });
}
