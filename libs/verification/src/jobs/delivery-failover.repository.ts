import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuditRow } from '@app/audit';
import type { SmsAttempt } from '@app/sms';
import { DataSource } from 'typeorm';
import { attemptJson } from '../verification.repository';

/** Where a code stands when its link's delivery timer fires. */
export interface FailoverState {
  phoneNumber: string;
  country: string | null;
  /** Pending and not expired: the only state in which a next link may send it. */
  valid: boolean;
  /** Whole seconds of lifetime left. */
  ttlSeconds: number;
  /** The status of the timed link's attempt (null when it is not found). */
  linkStatus: string | null;
  /** Attempts recorded after the timed link's: the next link was already tried (a retried job). */
  laterAttempts: number;
}

export interface FailoverRecord {
  verificationId: string;
  attempts: SmsAttempt[];
  accepted?: SmsAttempt;
  events: AuditRow[];
}

export interface VerifiedDelivery {
  provider: string;
  messageId: string;
  status: string;
  /** The attempt the code is pointed at (the last link that accepted it). */
  isCurrent: boolean;
}

/** SQL of delivery-driven failover and of the post-verify jobs. */
@Injectable()
export class DeliveryFailoverRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async state(verificationId: string, provider: string, messageId: string): Promise<FailoverState | null> {
    const [row] = await this.dataSource.query<
      {
        phone_number: string;
        country: string | null;
        valid: boolean;
        ttl_seconds: number;
        link_status: string | null;
        later_attempts: number;
      }[]
    >(
      `SELECT v.phone_number, v.country, (v.status = 'pending' AND v.expires_at > now()) AS valid,
              greatest(0, floor(extract(epoch FROM v.expires_at - now())))::integer AS ttl_seconds,
              link.status AS link_status,
              (SELECT count(*) FROM sms_deliveries later
                WHERE later.verification_id = v.id AND later.attempt_number > link.attempt_number)::integer
                AS later_attempts
         FROM sms_verifications v
         LEFT JOIN LATERAL (
           SELECT d.status, d.attempt_number FROM sms_deliveries d
            WHERE d.verification_id = v.id AND d.provider = $2 AND d.provider_message_id = $3
            ORDER BY d.attempt_number DESC LIMIT 1) link ON true
        WHERE v.id = $1`,
      [verificationId, provider, messageId],
    );
    if (!row) return null;
    return {
      phoneNumber: row.phone_number,
      country: row.country,
      valid: row.valid,
      ttlSeconds: row.ttl_seconds,
      linkStatus: row.link_status,
      laterAttempts: row.later_attempts ?? 0,
    };
  }

  /** Appends the attempts, points the code at the accepting link, writes the events (sms_auth_record_failover). */
  async record(record: FailoverRecord): Promise<void> {
    const json = {
      verification_id: record.verificationId,
      accepted: record.accepted
        ? {
            provider: record.accepted.provider,
            message_id: record.accepted.messageId,
            delivery_status: record.accepted.status,
          }
        : null,
      deliveries: record.attempts.map(attemptJson),
      events: record.events,
    };
    await this.dataSource.query('SELECT sms_auth_record_failover($1::jsonb)', [JSON.stringify(json)]);
  }

  /** The accepted attempts of an approved code (none when it is not approved). */
  /** Messages of earlier links that a later link's accepted message superseded, and that are still unread. */
  async supersededDeliveries(verificationId: string): Promise<{ provider: string; messageId: string }[]> {
    const rows = await this.dataSource.query<{ provider: string; provider_message_id: string }[]>(
      `SELECT d.provider, d.provider_message_id
         FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id
        WHERE v.id = $1 AND d.provider_message_id IS NOT NULL
          AND NOT (d.provider = v.provider AND d.provider_message_id = v.request_id)
          AND d.status NOT IN ('read', 'failed', 'expired')
        ORDER BY d.attempt_number`,
      [verificationId],
    );
    return rows.map((row) => ({ provider: row.provider, messageId: row.provider_message_id }));
  }

  async verifiedDeliveries(verificationId: string): Promise<VerifiedDelivery[]> {
    const rows = await this.dataSource.query<
      { provider: string; provider_message_id: string; status: string; is_current: boolean }[]
    >(
      `SELECT d.provider, d.provider_message_id, d.status,
              (d.provider = v.provider AND d.provider_message_id = v.request_id) AS is_current
         FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id
        WHERE v.id = $1 AND v.status = 'approved' AND d.provider_message_id IS NOT NULL AND d.status <> 'failed'
        ORDER BY d.attempt_number`,
      [verificationId],
    );
    return rows.map((row) => ({
      provider: row.provider,
      messageId: row.provider_message_id,
      status: row.status,
      isCurrent: row.is_current,
    }));
  }
}
