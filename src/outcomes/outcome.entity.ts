import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { DATE_COLUMN, FLOAT_COLUMN, JSON_COLUMN } from '../database/column-types';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';

/**
 * What the store paid for a diamond it priced: one per (request, item); a second outcome for the
 * same diamond replaces the first. The quote, model and features are copied from the priced
 * request when the outcome is recorded.
 */
@Entity('outcome')
@Unique('uq_outcome_request_item', ['requestId', 'item'])
export class OutcomeEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  @Column({ type: 'integer' })
  item: number;

  @Column({ name: 'paid_price', type: FLOAT_COLUMN })
  paidPrice: number;

  @Column({ name: 'quoted_price', type: FLOAT_COLUMN })
  quotedPrice: number;

  @Column({ name: 'range_low', type: FLOAT_COLUMN, nullable: true })
  rangeLow: number | null;

  @Column({ name: 'range_high', type: FLOAT_COLUMN, nullable: true })
  rangeHigh: number | null;

  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: JSON_COLUMN })
  features: DiamondFeatures;

  @Column({ name: 'priced_at', type: DATE_COLUMN })
  pricedAt: Date;

  @Column({ name: 'recorded_at', type: DATE_COLUMN })
  recordedAt: Date;

  /** The dataset batch this outcome went into as a training row; null while unused. */
  @Column({ name: 'dataset_batch_id', type: 'integer', nullable: true })
  datasetBatchId: number | null;
}
