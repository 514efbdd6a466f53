import { Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { DATE_COLUMN } from '../../database/column-types';

/** A named pointer to a version, e.g. each family's `champion`. */
@Entity('model_alias')
@Index('uq_model_alias_family_alias', ['family', 'alias'], { unique: true })
export class ModelAliasEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'varchar', length: 50 })
  alias: string;

  @Column({ name: 'version_id', type: 'integer' })
  versionId: number;

  @UpdateDateColumn({ name: 'updated_at', type: DATE_COLUMN })
  updatedAt: Date;
}
