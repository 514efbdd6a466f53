import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN } from '../../database/column-types';

/**
 * The ledger of retracted batches: which, why, who, when and how many rows left the dataset, and
 * when it was restored, if it was.
 */
@Entity('batch_retraction')
export class BatchRetractionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** One entry per retraction: a restored batch may be retracted again. */
  @Index('ix_batch_retraction_batch')
  @Column({ name: 'batch_id', type: 'integer' })
  batchId: number;

  @Column({ type: 'varchar', length: 500 })
  reason: string;

  @Column({ type: 'varchar', length: 100 })
  actor: string;

  @Column({ name: 'rows_removed', type: 'integer' })
  rowsRemoved: number;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;

  /** When an admin put the batch back into the dataset (null while it stays retracted). */
  @Column({ name: 'restored_at', type: DATE_COLUMN, nullable: true })
  restoredAt: Date | null;

  @Column({ name: 'restored_by', type: 'varchar', length: 100, nullable: true })
  restoredBy: string | null;
}
