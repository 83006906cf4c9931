import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import type { ClientInfo } from '@app/common';
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
    if (events.length === 0) return;
    // Plain SQL: TypeORM's insert builder costs more CPU than the round trip on this hot path.
    const params: unknown[] = [];
    const rows = events.map((event) => {
      params.push(
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
      const first = params.length - AUDIT_COLUMNS.length;
      return `(${AUDIT_COLUMNS.map((column, index) => `$${first + index + 1}${column === 'details' ? '::jsonb' : ''}`).join(', ')})`;
    });
    await manager.query(`INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, params);
  }
}

const AUDIT_COLUMNS = ['type', 'outcome', 'phone_number', 'user_id', 'verification_id', 'session_id', 'provider', 'ip', 'user_agent', 'details'] as const;
