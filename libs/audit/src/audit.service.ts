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

/** An event as the columns of its audit_events row (what the SQL functions of the hot paths read as JSON). */
export interface AuditRow {
  type: AuditEventType;
  outcome: AuditOutcome;
  phone_number: string | null;
  user_id: string | null;
  verification_id: string | null;
  session_id: string | null;
  provider: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

export function auditRow(event: AuditRecord): AuditRow {
  return {
    type: event.type,
    outcome: event.outcome,
    phone_number: event.phoneNumber ?? null,
    user_id: event.userId ?? null,
    verification_id: event.verificationId ?? null,
    session_id: event.sessionId ?? null,
    provider: event.provider ?? null,
    ip: event.client?.ip?.slice(0, 64) ?? null,
    user_agent: event.client?.userAgent?.slice(0, 512) ?? null,
    details: event.details ?? {},
  };
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

  /** Appends the events in their order, in one statement (sms_auth_audit_json, migration HotPathFunctions). */
  async recordMany(events: AuditRecord[], manager: EntityManager = this.defaultManager): Promise<void> {
    if (events.length === 0) return;
    await manager.query('SELECT sms_auth_audit_json($1)', [JSON.stringify(events.map(auditRow))]);
  }
}
