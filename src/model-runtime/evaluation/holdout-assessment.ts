import type { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import type { FittedModel } from '../model-family';
import {
  errorByPriceBand,
  ModelDiagnostics,
  permutationImportance,
  standardisedCoefficients,
} from './model-diagnostics';
import { MIN_CALIBRATION_ROWS, PriceRangeCalculator, PriceRangeCalibration } from './price-range';

interface HoldoutAssessment {
  /** null when the holdout is too small to calibrate a 0.99 range. */
  calibration: PriceRangeCalibration | null;
  diagnostics: ModelDiagnostics;
}

/**
 * The training pipeline's step after holdout scoring: the price-range calibration and the trust
 * diagnostics of the model that was scored on `holdout` (the split model: its holdout rows are
 * unseen, which is what makes the calibration honest).
 */
export async function assessHoldout(
  model: FittedModel,
  holdout: readonly PricedDiamond[],
  predicted: readonly number[],
  seed: number,
): Promise<HoldoutAssessment> {
  const actual = holdout.map((r) => r.price);
  const coefficients = (model.params as { coefficients?: Record<string, number> }).coefficients;
  return {
    calibration:
      holdout.length >= MIN_CALIBRATION_ROWS
        ? PriceRangeCalculator.calibrate(actual, predicted)
        : null,
    diagnostics: {
      errorByPriceBand: errorByPriceBand(actual, predicted),
      featureImportance:
        holdout.length === 0
          ? null
          : model.family === 'linear' && coefficients
            ? standardisedCoefficients(coefficients, holdout)
            : await permutationImportance((rows) => model.predict(rows), holdout, seed),
    },
  };
}
