import type { Observable } from 'rxjs';
import type { TrainingRanges } from '../model-runtime/evaluation/training-ranges';
import type { PriceRangeCalibration } from '../model-runtime/evaluation/price-range';
import type { FittedModel } from '../model-runtime/model-family';

/** Holdout metrics of a model version. */
export interface ModelMetrics {
  r2: number;
  mae: number;
  rmse: number;
  mape: number;
  trainRows: number;
  holdoutRows: number;
}

/** champion: serves; candidate: never promoted; retired: a former champion; rolled-back: removed by a rollback. */
export type VersionStatus = 'champion' | 'candidate' | 'retired' | 'rolled-back';

/** What the rest of the service may know of a registered model version. */
export interface ModelVersionInfo {
  id: number;
  family: string;
  version: number;
  status: VersionStatus;
  createdAt: Date;
  metrics: ModelMetrics;
  params: Record<string, unknown>;
  trainingRunId: number | null;
  artifactSha256: string;
  /** What it was trained on (null for versions older than this record). */
  trainingRanges?: TrainingRanges | null;
  /** Price-range calibration; null when the version has none. */
  calibration: PriceRangeCalibration | null;
}

/** The promotion gate's verdict, kept with the candidate. */
export interface ChampionComparison {
  championVersion: number | null;
  /** Both MAEs on the same rows (older versions: the champion's recorded figure). */
  championMae: number | null;
  candidateMae: number | null;
  tolerance: number;
  promoted: boolean;
  reason: string;
  /** Rows the decision was made on (absent on versions older than the paired gate). */
  rows?: number;
  /** no-champion | champion-unavailable | no-rows | paired-bootstrap */
  basis?: string;
  /** candidate MAE − champion MAE and its bootstrap 90 % interval. */
  difference?: { mean: number; low: number; high: number } | null;
}

/**
 * A champion's MAE (its split model) on the holdout rows of the run that ranked every champion on
 * the same rows: the default model is the lowest when all champions share one ranking.
 */
export interface ChampionRanking {
  mae: number;
  rows: number;
  trainingRunId: number;
  /** The dataset whose holdout rows were used. */
  contentHash: string;
}

export interface FamilySummary {
  family: string;
  description: string;
  champion: ModelVersionInfo | null;
  versions: number;
}

/**
 * The registry's read side, for prediction, the dashboard and ops.
 * Implemented by RegistryService (registry module); inject `ModelCatalog`.
 */
export abstract class ModelCatalog {
  /** Every registered family with its champion (null when none yet). */
  abstract listFamilies(): Promise<FamilySummary[]>;
  abstract findVersion(family: string, version: number): Promise<ModelVersionInfo | null>;
  abstract findChampion(family: string): Promise<ModelVersionInfo | null>;
  /**
   * The champion with the lowest MAE across families, on the same rows when every champion was
   * ranked by the same run (else on each one's own holdout); null before the first training.
   */
  abstract defaultChampion(): Promise<ModelVersionInfo | null>;
  /** A number that changes whenever any alias moves (any instance): poll it to hot-swap champions. */
  abstract aliasRevision(): Promise<number>;
  /** A family's versions, newest first. */
  abstract listVersions(family: string): Promise<ModelVersionInfo[]>;
  /** Up to 200 holdout (actual, predicted) pairs of a version, for plots. */
  abstract holdoutSample(versionId: number): Promise<{ actual: number; predicted: number }[]>;
  /** Search trials of every registered version, by family and state (complete, pruned, failed). */
  abstract trialsByFamilyAndState(): Promise<{ family: string; state: string; count: number }[]>;
  /** Emits in this process right after an alias moved here (other instances: poll aliasRevision). */
  abstract readonly aliasMoved$: Observable<void>;
  /**
   * Checks that a version's served artifact is there and matches its sha256 (re-hashed only when
   * the file's size or time changed); throws DomainError ARTIFACT_CORRUPT naming what is wrong.
   */
  abstract verifyArtifact(version: ModelVersionInfo): Promise<void>;
  /** Loads the artifact, verifying its sha256 (DomainError ARTIFACT_CORRUPT when it does not match). */
  abstract loadModel(version: ModelVersionInfo): Promise<FittedModel>;
}
