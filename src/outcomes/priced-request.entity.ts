import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DATE_COLUMN, JSON_COLUMN } from '../database/column-types';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';

/** One diamond of a priced request, as the service saw and answered it. */
export interface PricedItem {
  features: DiamondFeatures;
  /** The price served, USD. */
  price: number;
  /** The range served, or null when the version had none. */
  range: { low: number; high: number; level: number } | null;
}

/**
 * A request that priced diamonds (one, or a batch's items in order), written by the prediction
 * path: what an outcome links to, independent of the audit record (whose body may be truncated).
 */
@Entity('priced_request')
export class PricedRequestEntity {
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: JSON_COLUMN })
  items: PricedItem[];

  @Column({ name: 'priced_at', type: DATE_COLUMN })
  pricedAt: Date;
}
