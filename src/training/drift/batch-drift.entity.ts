import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { DATE_COLUMN, FLOAT_COLUMN, JSON_COLUMN } from '../../database/column-types';
import type { DriftReport } from './drift.calculator';

/** One ingested batch compared with the rows the champion of the time trained on. */
@Entity('batch_drift')
export class BatchDriftEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'integer' })
  batchId: number;

  @Column({ name: 'reference_family', type: 'varchar', length: 50 })
  referenceFamily: string;

  @Column({ name: 'reference_version', type: 'integer' })
  referenceVersion: number;

  @Column({ type: JSON_COLUMN })
  report: DriftReport;

  @Column({ name: 'max_psi', type: FLOAT_COLUMN })
  maxPsi: number;

  @Column({ name: 'outside_share', type: FLOAT_COLUMN })
  outsideShare: number;

  /** DRIFT_PSI_THRESHOLD when it was assessed. */
  @Column({ type: FLOAT_COLUMN })
  threshold: number;

  @Column({ type: 'boolean' })
  drifted: boolean;

  /** The training run that flagged it (the first run after it was ingested). */
  @Column({ name: 'flagged_run_id', type: 'integer', nullable: true })
  flaggedRunId: number | null;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;
}
