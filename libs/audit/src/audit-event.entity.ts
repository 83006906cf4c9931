import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only trail of every step. The database refuses UPDATE, DELETE and TRUNCATE on this table and on each of
 * its monthly partitions (migrations AuditEventsAppendOnly, PartitionAuditEvents); retention drops whole expired
 * partitions. Never holds a code or a token.
 */
@Entity({ name: 'audit_events' })
@Index('idx_audit_events_occurred_at', ['occurredAt'])
@Index('idx_audit_events_type_id', ['type', 'id'])
@Index('idx_audit_events_phone_id', ['phoneNumber', 'id'])
@Index('idx_audit_events_user_id_id', ['userId', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'PK_audit_events',
  })
  id: string;

  /** The partition key, so part of the primary key (a partitioned table's must include it); ids alone are unique. */
  @PrimaryColumn({
    name: 'occurred_at',
    type: 'timestamptz',
    default: () => 'now()',
    primaryKeyConstraintName: 'PK_audit_events',
  })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 48 }) type: string;

  /** `success` or `failure`. */
  @Column({ type: 'varchar', length: 16 }) outcome: string;

  @Column({ name: 'phone_number', type: 'varchar', length: 16, nullable: true }) phoneNumber: string | null;

  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;

  @Column({ name: 'verification_id', type: 'uuid', nullable: true }) verificationId: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true }) provider: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true }) userAgent: string | null;

  @Column({ type: 'jsonb' }) details: Record<string, unknown>;
}
