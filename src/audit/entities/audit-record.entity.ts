import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DATE_COLUMN, FLOAT_COLUMN, JSON_COLUMN } from '../../database/column-types';

/** One API request and its response (see AuditRecordData); written by the audit writer only. */
@Entity('audit_record')
@Index('ix_audit_record_occurred_at', ['occurredAt', 'id'])
@Index('ix_audit_record_route', ['route', 'occurredAt'])
@Index('ix_audit_record_status', ['status', 'occurredAt'])
@Index('ix_audit_record_model', ['modelFamily', 'modelVersion', 'occurredAt'])
export class AuditRecordEntity {
  /** UUID made before the spool append: the idempotency key of every (re)insert. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  // A hash index on PostgreSQL (migration 1766200000000: random keys made the B-tree the writer's dearest).
  @Index('ix_audit_record_request_id')
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  @Column({ name: 'occurred_at', type: DATE_COLUMN })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 10 })
  method: string;

  @Column({ type: 'varchar', length: 300, nullable: true })
  route: string | null;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: JSON_COLUMN, nullable: true })
  query: Record<string, unknown> | null;

  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody: string | null;

  @Column({ type: 'integer' })
  status: number;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'duration_ms', type: FLOAT_COLUMN })
  durationMs: number;

  @Column({ name: 'client_ip', type: 'varchar', length: 64, nullable: true })
  clientIp: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'model_family', type: 'varchar', length: 64, nullable: true })
  modelFamily: string | null;

  @Column({ name: 'model_version', type: 'integer', nullable: true })
  modelVersion: number | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;
}
