import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import type { ClientInfo } from '@app/common';
import type { SqlStatement } from '@app/database';
import { EntityManager } from 'typeorm';
import { AuditEventType, AuditOutcome } from './audit-event-type';

export interface AuditRecord {
  type: AuditEventType;
  outcome: AuditOutcome;
  client?: ClientInfo;
  phoneNumber?: string | null;
  userId?: string | null;
  verificationId?: string | null;
  sessionId?: string | null;
  provider?: string | null;
  /** Never a code, a token or a secret. */
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(@InjectEntityManager() private readonly defaultManager: EntityManager) {}

  /**
   * Appends one event. Pass the transaction's manager so the event commits, or rolls back, with the
   * change it records.
   */
  async record(event: AuditRecord, manager: EntityManager = this.defaultManager): Promise<void> {
    await this.recordMany([event], manager);
  }

  async recordMany(events: AuditRecord[], manager: EntityManager = this.defaultManager): Promise<void> {
    const statement = this.insertStatement(events);
    if (statement) await manager.query(...statement);
  }

  /**
   * The INSERT of these events as a statement of its own (null for none), for callers that send it
   * together with the change it records (WriteBatch).
   * Plain SQL: TypeORM's insert builder costs more CPU than the round trip.
   */
  insertStatement(events: AuditRecord[]): SqlStatement | null {
    if (events.length === 0) return null;
    const values: unknown[] = [];
    const rows = events.map((event) => {
      values.push(
        event.type,
        event.outcome,
        event.phoneNumber ?? null,
        event.userId ?? null,
        event.verificationId ?? null,
        event.sessionId ?? null,
        event.provider ?? null,
        event.client?.ip?.slice(0, 64) ?? null,
        event.client?.userAgent?.slice(0, 512) ?? null,
        JSON.stringify(event.details ?? {}),
      );
      const first = values.length - AUDIT_COLUMNS.length;
      const placeholders = AUDIT_COLUMNS.map((column, index) => `$${first + index + 1}::${AUDIT_COLUMN_TYPES[column]}`);
      return `(${placeholders.join(', ')})`;
    });
    return [`INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, values];
  }
}

const AUDIT_COLUMN_TYPES = {
  type: 'varchar',
  outcome: 'varchar',
  phone_number: 'varchar',
  user_id: 'uuid',
  verification_id: 'uuid',
  session_id: 'uuid',
  provider: 'varchar',
  ip: 'varchar',
  user_agent: 'varchar',
  details: 'jsonb',
} as const;
const AUDIT_COLUMNS = Object.keys(AUDIT_COLUMN_TYPES) as (keyof typeof AUDIT_COLUMN_TYPES)[];
