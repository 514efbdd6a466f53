import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BYTES_COLUMN, DATE_COLUMN } from '../../database/column-types';

/**
 * Which model of a version an artifact holds: `served` (refit on every row, what prediction
 * loads) or `split` (fitted on the training side of the split only: what the promotion gate
 * scores on holdout rows it never saw).
 */
export type ArtifactKind = 'served' | 'split';
export const ARTIFACT_KINDS: readonly ArtifactKind[] = ['served', 'split'];

/**
 * A model file, in the database: written in the transaction that registers its version, so any
 * replica sharing the database can load any version. ARTIFACTS_DIR is only a local cache of it.
 */
@Entity('model_artifact')
@Index('uq_model_artifact_family_version_kind', ['family', 'version', 'kind'], { unique: true })
export class ModelArtifactEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 50 })
  family: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 20 })
  kind: ArtifactKind;

  @Column({ type: BYTES_COLUMN })
  bytes: Buffer;

  @Column({ type: 'integer' })
  size: number;

  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @CreateDateColumn({ name: 'created_at', type: DATE_COLUMN })
  createdAt: Date;
}
