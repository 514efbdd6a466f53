import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { FLOAT_COLUMN } from '../../database/column-types';
import type { Clarity, Color, Cut } from '../diamond-vocabulary';

/** An accepted row: a diamond with a known price, as ingested. */
@Entity('diamond')
@Index('ix_diamond_grade_carat', ['cut', 'color', 'clarity', 'carat'])
export class DiamondEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Index('ix_diamond_batch')
  @Column({ name: 'batch_id', type: 'integer' })
  batchId: number;

  /** 1-based line of the row in its source file (the header is line 1). */
  @Column({ name: 'line_number', type: 'integer' })
  lineNumber: number;

  @Column({ type: FLOAT_COLUMN })
  carat: number;

  @Column({ type: 'varchar', length: 16 })
  cut: Cut;

  @Column({ type: 'varchar', length: 1 })
  color: Color;

  @Column({ type: 'varchar', length: 4 })
  clarity: Clarity;

  @Column({ type: FLOAT_COLUMN })
  depth: number;

  /** The CSV's `table` column (table width in % of diameter); `table` is an SQL keyword. */
  @Column({ name: 'table_pct', type: FLOAT_COLUMN })
  table: number;

  @Column({ type: FLOAT_COLUMN })
  price: number;

  @Column({ type: FLOAT_COLUMN })
  x: number;

  @Column({ type: FLOAT_COLUMN })
  y: number;

  @Column({ type: FLOAT_COLUMN })
  z: number;
}
