import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import type { DeliveryReport } from '@app/sms';
import { DataSource } from 'typeorm';
import { isDelivered, isProgress } from './delivery-status-rank';
import { SupersededRevocations } from '../jobs/superseded-revocations.service';
import { DeliveryTrackingRepository } from './delivery-tracking.repository';

export type DeliveryUpdateOutcome = 'updated' | 'unchanged' | 'unknown_message';

/** Applies vendor delivery reports (webhooks and polling) to the send attempts, with an audit event per change. */
@Injectable()
export class DeliveryTrackingService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryTrackingRepository,
    private readonly audit: AuditService,
    private readonly revocations: SupersededRevocations,
  ) {}

  /**
   * Idempotent: a repeated or stale report changes nothing and records nothing. A message id holding a NUL
   * (which Postgres text cannot hold) names no message of ours: ignored before any SQL.
   */
  async apply(provider: string, report: DeliveryReport, source: 'webhook' | 'poll'): Promise<DeliveryUpdateOutcome> {
    if (typeof report.messageId !== 'string' || report.messageId.includes('\u0000')) return 'unknown_message';
    const applied = await this.dataSource.transaction(async (manager) => {
      const delivery = await this.deliveries.findForUpdate(manager, provider, report.messageId);
      if (!delivery) return { outcome: 'unknown_message' as const };
      if (!isProgress(delivery.status, report.status)) return { outcome: 'unchanged' as const };
      await this.deliveries.updateStatus(manager, delivery, report);
      await this.audit.record(
        {
          type: AuditEventType.DeliveryUpdated,
          outcome: 'success',
          phoneNumber: delivery.phoneNumber,
          verificationId: delivery.verificationId,
          provider,
          details: {
            message_id: report.messageId,
            from: delivery.status,
            to: report.status,
            provider_status: report.providerStatus,
            error_code: report.errorCode ?? null,
            source,
          },
        },
        manager,
      );
      return { outcome: 'updated' as const, delivery };
    });
    const { delivery } = applied;
    // A later link's message arrived: earlier links' unread messages are withdrawn (after the commit).
    if (delivery?.isAccepted && delivery.attemptNumber > 1 && isDelivered(report.status))
      this.revocations.afterLaterLinkDelivered(delivery.verificationId, report.messageId);
    return applied.outcome;
  }
}
