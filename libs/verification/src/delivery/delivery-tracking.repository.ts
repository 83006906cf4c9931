import { Injectable } from '@nestjs/common';
import type { DeliveryReport } from '@app/sms';
import { DeliveryStatus } from '@app/sms';
import { EntityManager } from 'typeorm';
import { AWAITING_STATUSES } from './delivery-status-rank';

export interface TrackedDelivery {
  id: string;
  verificationId: string;
  phoneNumber: string;
  status: DeliveryStatus;
  /** True when this attempt is the one the verification was sent with (its `request_id`). */
  isAccepted: boolean;
  /** 1 for the first link tried; more when earlier links came before it (failover). */
  attemptNumber: number;
}

interface TrackedDeliveryRow {
  id: string;
  verification_id: string;
  phone_number: string;
  status: DeliveryStatus;
  is_accepted: boolean;
  attempt_number: number;
}

export interface DeliveryToPoll {
  id: string;
  provider: string;
  providerMessageId: string;
}

/** SQL of delivery tracking: lookups by the vendor's message id, status updates and the poller's batches. */
@Injectable()
export class DeliveryTrackingRepository {
  async findForUpdate(manager: EntityManager, provider: string, messageId: string): Promise<TrackedDelivery | null> {
    const [row] = await manager.query<TrackedDeliveryRow[]>(
      `SELECT d.id, d.verification_id, d.status, d.attempt_number, v.phone_number,
              (v.provider = d.provider AND v.request_id = d.provider_message_id) AS is_accepted
         FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id
        WHERE d.provider = $1 AND d.provider_message_id = $2
        FOR UPDATE OF d`,
      [provider, messageId],
    );
    if (!row) return null;
    return {
      id: row.id,
      verificationId: row.verification_id,
      phoneNumber: row.phone_number,
      status: row.status,
      isAccepted: row.is_accepted,
      attemptNumber: row.attempt_number,
    };
  }

  async updateStatus(manager: EntityManager, delivery: TrackedDelivery, report: DeliveryReport): Promise<void> {
    await manager.query(
      `UPDATE sms_deliveries SET status = $2, provider_status = $3, error_code = coalesce($4, error_code),
        updated_at = now() WHERE id = $1`,
      [delivery.id, report.status, report.providerStatus.slice(0, 32), report.errorCode?.slice(0, 64) ?? null],
    );
    if (delivery.isAccepted) {
      await manager.query('UPDATE sms_verifications SET delivery_status = $2, updated_at = now() WHERE id = $1', [
        delivery.verificationId,
        report.status,
      ]);
    }
  }

  /**
   * Claims up to `limit` deliveries still awaiting a final status whose code has not expired, not asked
   * within `minIntervalSeconds`, asked fewer than `maxChecks` times. SKIP LOCKED lets several instances poll.
   */
  async claimBatchToPoll(
    manager: EntityManager,
    providers: string[],
    minIntervalSeconds: number,
    maxChecks: number,
    limit: number,
  ): Promise<DeliveryToPoll[]> {
    const [rows] = await manager.query<[{ id: string; provider: string; provider_message_id: string }[], number]>(
      `UPDATE sms_deliveries d
          SET status_checked_at = now(), status_checks = d.status_checks + 1
        WHERE d.id IN (
          SELECT c.id FROM sms_deliveries c JOIN sms_verifications v ON v.id = c.verification_id
           WHERE c.status = ANY($1) AND c.provider = ANY($2) AND c.provider_message_id IS NOT NULL
             AND v.expires_at > now()
             AND (c.status_checked_at IS NULL OR c.status_checked_at < now() - make_interval(secs => $3))
             AND c.status_checks < $4
           ORDER BY c.status_checked_at NULLS FIRST
           LIMIT $5
           FOR UPDATE OF c SKIP LOCKED)
        RETURNING d.id, d.provider, d.provider_message_id`,
      [AWAITING_STATUSES, providers, minIntervalSeconds, maxChecks, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      provider: row.provider,
      providerMessageId: row.provider_message_id,
    }));
  }
}
