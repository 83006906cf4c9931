import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import type { ClientInfo } from '@app/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditEvent } from './audit-event.entity';
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
    await manager.insert(
      AuditEvent,
      events.map((event) => ({
        type: event.type,
        outcome: event.outcome,
        phoneNumber: event.phoneNumber ?? null,
        userId: event.userId ?? null,
        verificationId: event.verificationId ?? null,
        sessionId: event.sessionId ?? null,
        provider: event.provider ?? null,
        ip: event.client?.ip?.slice(0, 64) ?? null,
        userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
        details: event.details ?? {},
      })) as QueryDeepPartialEntity<AuditEvent>[],
    );
  }
}
