import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN } from '../../database/column-types';

/** `outcomes`: the store's own deals, made a batch by POST /v1/admin/outcomes/dataset. */
export type IngestionSource = 'bundled' | 'drop-folder' | 'upload' | 'cli' | 'api' | 'outcomes';

/** One ingested CSV file: where it came from, its sha256 and what became of its rows. */
@Entity('ingestion_batch')
export class IngestionBatchEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'source_name', type: 'varchar', length: 500 })
  sourceName: string;

  @Column({ name: 'source_kind', type: 'varchar', length: 20 })
  sourceKind: IngestionSource;

  @Index('uq_ingestion_batch_sha256', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes: number;

  @Column({ name: 'accepted_count', type: 'integer' })
  acceptedCount: number;

  @Column({ name: 'rejected_count', type: 'integer' })
  rejectedCount: number;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;

  /** Set when an admin retracted the batch: its rows left the dataset (they stay in `diamond`). */
  @Column({ name: 'retracted_at', type: DATE_COLUMN, nullable: true })
  retractedAt: Date | null;

  /**
   * Set while the batch is held: its prices disagree with the market the champion learned (the
   * training module's price check); its rows are out of the dataset until an admin accepts it.
   */
  @Column({ name: 'held_at', type: DATE_COLUMN, nullable: true })
  heldAt: Date | null;

  /** Why it was held (kept after it is accepted). */
  @Column({ name: 'hold_reason', type: 'text', nullable: true })
  holdReason: string | null;

  /** When and by whom a held batch was accepted into the dataset. */
  @Column({ name: 'accepted_at', type: DATE_COLUMN, nullable: true })
  acceptedAt: Date | null;

  @Column({ name: 'accepted_by', type: 'varchar', length: 100, nullable: true })
  acceptedBy: string | null;
}

/** A batch's place in the dataset: in it, held out until accepted, or retracted. */
export type BatchStatus = 'active' | 'held' | 'retracted';

export function batchStatus(b: Pick<IngestionBatchEntity, 'retractedAt' | 'heldAt'>): BatchStatus {
  return b.retractedAt ? 'retracted' : b.heldAt ? 'held' : 'active';
}
