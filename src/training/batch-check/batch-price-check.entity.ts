import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { DATE_COLUMN, FLOAT_COLUMN } from '../../database/column-types';

/**
 * passed / held / too-few-rows: the check's verdict; not-checked: there was nothing to check it
 * against (no champion yet, the champion trained on it, no calibration, the champion unloadable).
 */
export type BatchCheckVerdict = 'passed' | 'held' | 'too-few-rows' | 'not-checked';

/** One fresh batch's prices checked against the default champion of the time (issue 20). */
@Entity('batch_price_check')
export class BatchPriceCheckEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'integer' })
  batchId: number;

  @Column({ type: 'varchar', length: 20 })
  verdict: BatchCheckVerdict;

  @Column({ name: 'reference_family', type: 'varchar', length: 50, nullable: true })
  referenceFamily: string | null;

  @Column({ name: 'reference_version', type: 'integer', nullable: true })
  referenceVersion: number | null;

  /** Accepted rows of the batch. */
  @Column({ name: 'batch_rows', type: 'integer' })
  batchRows: number;

  /** Rows inside the champion's training ranges (measurements and price): the ones judged. */
  @Column({ name: 'judged_rows', type: 'integer' })
  judgedRows: number;

  @Column({ name: 'outside_share', type: FLOAT_COLUMN, nullable: true })
  outsideShare: number | null;

  @Column({ name: 'median_log_ratio', type: FLOAT_COLUMN, nullable: true })
  medianLogRatio: number | null;

  /** q of the champion's 90 % range, predicted × e^(±q). */
  @Column({ name: 'range_log_half_width', type: FLOAT_COLUMN, nullable: true })
  rangeLogHalfWidth: number | null;

  @Column({ type: 'text' })
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;
}
