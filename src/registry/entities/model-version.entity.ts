import type { TrainingRanges } from '../../model-runtime/evaluation/training-ranges';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN, JSON_COLUMN } from '../../database/column-types';
import type { ModelDiagnostics } from '../../model-runtime/evaluation/model-diagnostics';
import type { PriceRangeCalibration } from '../../model-runtime/evaluation/price-range';
import type { TrialRecord } from '../../model-runtime/model-family';
import type { StoredArtifact } from '../artifact.store';
import type {
  ChampionComparison,
  ChampionRanking,
  ModelMetrics,
  VersionStatus,
} from '../model-catalog';

interface DatasetLineage {
  batchIds: number[];
  rowCount: number;
  contentHash: string;
  /**
   * Which rows fitted the served artifact: 'all-rows' (refit on every row of the dataset after
   * the search, its metrics coming from a model fitted on the training side only) or 'train'
   * (the training side of the split; versions registered before refits have no field: 'train').
   */
  fittedOn?: 'all-rows' | 'train';
  /** How many rows fitted the served artifact. */
  fittedRows?: number;
}

interface SplitInfo {
  kind: 'stable-hash' | 'sklearn';
  testFraction: number;
  seed: number;
  /** The stable hash split's salt ('' by default; absent on older versions: ''). */
  salt?: string;
  trainRows: number;
  holdoutRows: number;
}

/** One trained model: its numbers, its data, its artifact. Never deleted. */
@Entity('model_version')
@Index('uq_model_version_family_version', ['family', 'version'], { unique: true })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 20 })
  status: VersionStatus;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;

  @Index('ix_model_version_run')
  @Column({ name: 'training_run_id', type: 'integer', nullable: true })
  trainingRunId: number | null;

  @Column({ type: JSON_COLUMN })
  params: Record<string, unknown>;

  @Column({ type: JSON_COLUMN })
  metrics: ModelMetrics;

  @Column({ name: 'holdout_sample', type: JSON_COLUMN })
  holdoutSample: { actual: number; predicted: number }[];

  @Column({ type: JSON_COLUMN })
  trials: TrialRecord[];

  @Column({ type: JSON_COLUMN })
  lineage: DatasetLineage;

  @Column({ type: JSON_COLUMN })
  split: SplitInfo;

  @Column({ type: 'integer' })
  seed: number;

  @Column({ name: 'code_version', type: 'varchar', length: 100 })
  codeVersion: string;

  @Column({ name: 'fit_ms', type: 'integer' })
  fitMs: number;

  @Column({ name: 'search_ms', type: 'integer' })
  searchMs: number;

  @Column({ type: JSON_COLUMN, nullable: true })
  comparison: ChampionComparison | null;

  /** Feature and price ranges of the training rows; null for versions trained before they were kept. */
  @Column({ name: 'training_ranges', type: JSON_COLUMN, nullable: true })
  trainingRanges: TrainingRanges | null;
  /** Split-conformal price ranges from the holdout residuals; null: no range (too few rows, or older). */
  @Column({ type: JSON_COLUMN, nullable: true })
  calibration: PriceRangeCalibration | null;

  /** Holdout error by price band and feature importance; null for versions older than them. */
  @Column({ type: JSON_COLUMN, nullable: true })
  diagnostics: ModelDiagnostics | null;

  @Column({ name: 'artifact_path', type: 'varchar', length: 500 })
  artifactPath: string;

  @Column({ name: 'artifact_size', type: 'integer' })
  artifactSize: number;

  @Column({ name: 'artifact_sha256', type: 'varchar', length: 64 })
  artifactSha256: string;

  /**
   * The split model's artifact (fitted on the training side of `split` only), which the
   * promotion gate scores; null for versions older than it.
   */
  @Column({ name: 'split_artifact', type: JSON_COLUMN, nullable: true })
  splitArtifact: StoredArtifact | null;

  /** Its split model's MAE on the holdout rows of the run that last ranked the champions. */
  @Column({ type: JSON_COLUMN, nullable: true })
  ranking: ChampionRanking | null;

  /** ranking.trainingRunId as a column: its maximum is part of the alias revision. */
  @Column({ name: 'ranked_by_run', type: 'integer', nullable: true })
  rankedByRun: number | null;
}
