import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN, JSON_COLUMN } from '../database/column-types';

export type RunTrigger = 'schedule' | 'admin' | 'cli' | 'first-start';
/** skipped: the data had not changed since the champions were trained. */
type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'skipped';

/** The promotion gate's decision for a family: on which rows, both MAEs there, and why. */
export interface RunGate {
  rows: number;
  championVersion: number | null;
  championMae: number | null;
  candidateMae: number | null;
  promoted: boolean;
  basis: string;
  reason: string;
}

/** Per family: the version registered and whether it was promoted, or the error. */
export interface RunOutcome {
  family: string;
  version?: number;
  promoted?: boolean;
  mae?: number;
  /** The gate's decision (absent on runs older than it). */
  gate?: RunGate;
  error?: string;
}

/** What a training run flagged: batches that drifted beyond the threshold. */
export interface RunDriftFlags {
  threshold: number;
  flagged: { batchId: number; maxPsi: number; maxPsiFeature: string; outsideShare: number }[];
}

/** A batch held out of a run by the price check: why, and its figures. */
export interface RunHeldBatch {
  batchId: number;
  reason: string;
  rows: number;
  judgedRows: number;
  outsideShare: number | null;
  medianLogRatio: number | null;
}

/** One execution of the training pipeline, whatever triggered it. Owned by the training module. */
@Entity('training_run')
export class TrainingRunEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 20 })
  trigger: RunTrigger;

  @Index('ix_training_run_status')
  @Column({ type: 'varchar', length: 20 })
  status: RunStatus;

  @Column({ name: 'started_at', type: DATE_COLUMN })
  startedAt: Date;

  @Column({ name: 'finished_at', type: DATE_COLUMN, nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'integer' })
  trials: number;

  @Column({ type: JSON_COLUMN })
  families: string[];

  @Column({ name: 'dataset_hash', type: 'varchar', length: 64, nullable: true })
  datasetHash: string | null;

  @Column({ name: 'row_count', type: 'integer', nullable: true })
  rowCount: number | null;

  @Column({ type: JSON_COLUMN })
  outcomes: RunOutcome[];

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Batches new since the champion trained whose drift passed the threshold; null before drift checks. */
  @Column({ type: JSON_COLUMN, nullable: true })
  drift?: RunDriftFlags | null;

  /** Batches held out of this run by the price check (null on runs from before the check). */
  @Column({ name: 'held_batches', type: JSON_COLUMN, nullable: true })
  heldBatches?: RunHeldBatch[] | null;

  /** host:pid of the instance that ran it. */
  @Column({ type: 'varchar', length: 200 })
  instance: string;
}
