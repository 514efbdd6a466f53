import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DATE_COLUMN } from '../../database/column-types';

export type AliasAction = 'promotion' | 'manual-promote' | 'rollback';

/** Every move of an alias: from, to, why, who, when. Append-only. */
@Entity('alias_ledger')
export class AliasLedgerEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Index('ix_alias_ledger_family')
  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'varchar', length: 50 })
  alias: string;

  @Column({ name: 'from_version_id', type: 'integer', nullable: true })
  fromVersionId: number | null;

  @Column({ name: 'to_version_id', type: 'integer' })
  toVersionId: number;

  @Column({ type: 'varchar', length: 20 })
  action: AliasAction;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'varchar', length: 100 })
  actor: string;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;
}
