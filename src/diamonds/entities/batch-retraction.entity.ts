import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN } from '../../database/column-types';

/** The ledger of retracted batches: which, why, who, when and how many rows left the dataset. */
@Entity('batch_retraction')
export class BatchRetractionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Index('uq_batch_retraction_batch', { unique: true })
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
}
