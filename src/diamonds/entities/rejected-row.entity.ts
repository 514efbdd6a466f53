import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JSON_COLUMN } from '../../database/column-types';

/** A row refused at ingestion, kept with its raw text and every reason so nothing is lost. */
@Entity('rejected_row')
export class RejectedRowEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Index('ix_rejected_row_batch')
  @Column({ name: 'batch_id', type: 'integer' })
  batchId: number;

  @Column({ name: 'line_number', type: 'integer' })
  lineNumber: number;

  @Column({ name: 'raw_text', type: 'text' })
  rawText: string;

  @Column({ type: JSON_COLUMN })
  reasons: string[];
}
