/**
 * The XGBoost families' work inside a search worker thread (loaded by search.worker.ts): the
 * trial objective (fit on the inner training rows, MAE in USD on the inner validation rows,
 * reported along the way for pruning) and the final fit on all training rows.
 */
import { TrialParams, TrialPruned } from '../search/trial';
import { WorkerTasks } from '../search/worker-protocol';
import { XGBOOST_REPORT_STEPS, toBoosterParams } from './xgboost-search-space';
import {
  Booster,
  DenseMatrix,
  loadXgboostRuntime,
  XgboostRuntime,
} from '../xgboost/xgboost-runtime';

export type XgboostTarget = 'price' | 'log-price';

export interface XgboostTaskSetup {
  target: XgboostTarget;
  seed: number;
  innerTrain: DenseMatrix;
  innerLabels: Float32Array;
  validation: DenseMatrix;
  /** Validation prices in USD. */
  validationPrices: Float64Array;
  full: DenseMatrix;
  fullLabels: Float32Array;
}

export function toTargetScale(price: number, target: XgboostTarget): number {
  return target === 'log-price' ? Math.log(price) : price;
}

export function toUsd(prediction: number, target: XgboostTarget): number {
  return target === 'log-price' ? Math.exp(prediction) : prediction;
}

export function meanOf(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length > 0 ? sum / values.length : 0;
}

function validationMae(booster: Booster, setup: XgboostTaskSetup): number {
  const predictions = booster.predict(setup.validation);
  let total = 0;
  for (let i = 0; i < predictions.length; i++) {
    total += Math.abs(toUsd(predictions[i], setup.target) - setup.validationPrices[i]);
  }
  return total / predictions.length;
}

/** Fits `params` on all training rows; returns the booster's saved bytes. */
function fitBoosterBytes(
  runtime: XgboostRuntime,
  setup: XgboostTaskSetup,
  params: TrialParams,
): Uint8Array {
  const booster = runtime.createBooster(
    setup.full,
    setup.fullLabels,
    toBoosterParams(params, meanOf(setup.fullLabels), setup.seed),
  );
  try {
    booster.boost(Number(params.n_estimators));
    return booster.save();
  } finally {
    booster.free();
  }
}

export async function createWorkerTasks(setup: XgboostTaskSetup): Promise<WorkerTasks> {
  const runtime = await loadXgboostRuntime();
  const innerBaseScore = meanOf(setup.innerLabels);
  return {
    isHealthy: () => runtime.healthy,
    objective: async (params, context) => {
      const rounds = Number(params.n_estimators);
      const booster = runtime.createBooster(
        setup.innerTrain,
        setup.innerLabels,
        toBoosterParams(params, innerBaseScore, setup.seed),
      );
      try {
        let done = 0;
        for (const step of XGBOOST_REPORT_STEPS) {
          if (step >= rounds) break;
          booster.boost(step - done);
          done = step;
          if (await context.report(step, validationMae(booster, setup))) throw new TrialPruned();
        }
        booster.boost(rounds - done);
        return validationMae(booster, setup);
      } finally {
        booster.free();
      }
    },
    tasks: {
      fit: (payload) => fitBoosterBytes(runtime, setup, payload as TrialParams),
    },
  };
}
