import { Injectable } from '@nestjs/common';
import type { SmsAttempt } from '@app/sms';
import { DeliveryStatus } from '@app/sms';
import type { SqlStatement } from '@app/database';
import { EntityManager } from 'typeorm';
import { SmsVerification } from './entities/sms-verification.entity';
import { VerificationStatus } from './entities/verification-status';
import type { SendHistory } from './send-policy';

export interface PendingVerificationFields {
  id: string;
  phoneNumber: string;
  country: string | null;
  codeHash: string;
  maxAttempts: number;
  locale: string;
  isTestNumber: boolean;
  ip: string | null;
  userAgent: string | null;
  ttlSeconds: number;
}

interface SendHistoryRow {
  now: Date;
  sends_last_hour: number;
  sends_last_day: number;
  last_sent_at: Date | null;
  oldest_in_hour_at: Date | null;
  oldest_in_day_at: Date | null;
  locked_until: Date | null;
}

interface PendingForUpdateRow {
  now: Date;
  locked_until: Date | null;
  id: string | null;
  code_hash: string;
  attempts: number;
  max_attempts: number;
  expires_at: Date;
  provider: string | null;
  expired: boolean;
}

/** Casts of the parameters of one sms_deliveries row after its verification id (an INSERT … SELECT needs them). */
const DELIVERY_VALUE_TYPES = [
  'smallint',
  'varchar',
  'varchar',
  'varchar',
  'varchar',
  'varchar',
  'timestamptz',
  'timestamptz',
] as const;

/**
 * ONE statement that applies at most once: `guard` is an UPDATE … RETURNING that matches only while its
 * row is in the state before the write, and each `insert` (an `INSERT INTO t (cols) VALUES …`) runs only
 * if the guard matched. A replay finds the row changed, so it writes nothing; a concurrent replay waits
 * for the row lock of the first and then finds the same. Parameters of each part are renumbered.
 */
function onceStatement(guard: SqlStatement, inserts: (SqlStatement | null)[]): SqlStatement {
  const values: unknown[] = [...guard[1]];
  const ctes = [`once AS (${guard[0]})`];
  inserts.forEach((statement, index) => {
    if (!statement) return;
    const [sql, params] = statement;
    const match = /^\s*(INSERT INTO [\w.]+\s*\([^)]*\))\s*VALUES\s([\s\S]+)$/.exec(sql);
    if (!match) throw new Error('onceStatement guards only INSERT … VALUES statements');
    const offset = values.length;
    const renumber = (text: string) => text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    values.push(...params);
    ctes.push(
      `insert_${index} AS (${match[1]} SELECT * FROM (VALUES ${renumber(match[2])}) AS guarded_rows ` +
        'WHERE EXISTS (SELECT 1 FROM once))',
    );
  });
  return [`WITH ${ctes.join(',\n')}\nSELECT count(*)::int AS applied FROM once`, values];
}

/** All SQL of codes, their deliveries and phone locks. Every method runs on the caller's manager (its transaction). */
@Injectable()
export class VerificationRepository {
  /** Serialises sends and verifies of one phone until the transaction ends. */
  async lockPhoneForTransaction(manager: EntityManager, phoneNumber: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [phoneNumber]);
  }

  async lockPhone(manager: EntityManager, phoneNumber: string, seconds: number, reason: string): Promise<Date> {
    const [row] = await manager.query<{ locked_until: Date }[]>(
      `INSERT INTO phone_locks (phone_number, locked_until, reason) VALUES ($1, now() + make_interval(secs => $2), $3)
       ON CONFLICT (phone_number) DO UPDATE SET locked_until = EXCLUDED.locked_until, reason = EXCLUDED.reason,
         updated_at = now()
       RETURNING locked_until`,
      [phoneNumber, seconds, reason],
    );
    return row.locked_until;
  }

  /**
   * Sends that count toward cooldown and caps (every code of the last 24 h except those no provider
   * accepted), and the phone's lock if one is in force: what a send must know, in one query.
   */
  async sendHistory(
    manager: EntityManager,
    phoneNumber: string,
  ): Promise<SendHistory & { now: Date; lockedUntil: Date | null }> {
    const [row] = await manager.query<SendHistoryRow[]>(
      `SELECT now() AS now,
              count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int AS sends_last_hour,
              count(*)::int AS sends_last_day,
              max(created_at) AS last_sent_at,
              min(created_at) FILTER (WHERE created_at > now() - interval '1 hour') AS oldest_in_hour_at,
              min(created_at) AS oldest_in_day_at,
              (SELECT locked_until FROM phone_locks WHERE phone_number = $1 AND locked_until > now()) AS locked_until
         FROM sms_verifications
        WHERE phone_number = $1 AND created_at > now() - interval '24 hours' AND status <> $2`,
      [phoneNumber, VerificationStatus.Failed],
    );
    return {
      now: row.now,
      sendsLastHour: row.sends_last_hour,
      sendsLastDay: row.sends_last_day,
      lastSentAt: row.last_sent_at,
      oldestInHourAt: row.oldest_in_hour_at,
      oldestInDayAt: row.oldest_in_day_at,
      lockedUntil: row.locked_until,
    };
  }

  /** Ends the phone's pending code, if any: `expired` when its time had run out, `canceled` otherwise. */
  async closePending(
    manager: EntityManager,
    phoneNumber: string,
  ): Promise<{ id: string; status: VerificationStatus }[]> {
    // TypeORM answers UPDATE … RETURNING with [rows, rowCount].
    const [rows] = await manager.query<[{ id: string; status: VerificationStatus }[], number]>(
      `UPDATE sms_verifications
          SET status = CASE WHEN expires_at <= now() THEN 'expired' ELSE 'canceled' END, updated_at = now()
        WHERE phone_number = $1 AND status = 'pending'
        RETURNING id, status`,
      [phoneNumber],
    );
    return rows;
  }

  /** The new pending code; it expires `ttlSeconds` after the transaction's now(). */
  insertPendingStatement(fields: PendingVerificationFields): SqlStatement {
    return [
      `INSERT INTO sms_verifications
         (id, phone_number, country, code_hash, status, attempts, max_attempts, locale, is_test_number, ip, user_agent,
           expires_at)
       VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
      [
        fields.id,
        fields.phoneNumber,
        fields.country,
        fields.codeHash,
        fields.maxAttempts,
        fields.locale,
        fields.isTestNumber,
        fields.ip,
        fields.userAgent,
        fields.ttlSeconds,
      ],
    ];
  }

  /** The rows of each send attempt (failover makes several); null when no provider was tried. */
  deliveryAttemptsStatement(verificationId: string, attempts: SmsAttempt[]): SqlStatement | null {
    if (attempts.length === 0) return null;
    const values: unknown[] = [verificationId];
    const rows = attempts.map((attempt, index) => {
      // Vendors' codes and texts have no length limit of their own.
      values.push(
        index + 1,
        attempt.provider,
        attempt.messageId,
        attempt.status,
        attempt.errorCode?.slice(0, 64) ?? null,
        attempt.errorMessage?.slice(0, 512) ?? null,
        attempt.startedAt,
        attempt.finishedAt,
      );
      const at = values.length - DELIVERY_VALUE_TYPES.length;
      return `($1::uuid, ${DELIVERY_VALUE_TYPES.map((type, offset) => `$${at + offset + 1}::${type}`).join(', ')})`;
    });
    return [
      `INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status, error_code,
        error_message, created_at, updated_at)
       VALUES ${rows.join(', ')}`,
      values,
    ];
  }

  /**
   * The record of a send a provider accepted: the code's provider and delivery state, every attempt's row
   * and the audit events, as ONE statement that applies at most once (see onceStatement), so that it can
   * be retried after a failure whose COMMIT may have succeeded.
   */
  sentRecordStatement(
    id: string,
    accepted: { provider: string; messageId: string | null; status: DeliveryStatus },
    attempts: SmsAttempt[],
    auditEvents: SqlStatement | null,
  ): SqlStatement {
    return onceStatement(
      [
        `UPDATE sms_verifications SET provider = $2, request_id = $3, delivery_status = $4, updated_at = now()
          WHERE id = $1 AND delivery_status IS NULL
          RETURNING id`,
        [id, accepted.provider, accepted.messageId, accepted.status],
      ],
      [this.deliveryAttemptsStatement(id, attempts), auditEvents],
    );
  }

  /**
   * The record of a send no provider accepted: the code becomes `failed` (it never counts toward cooldown
   * and caps), with the attempts' rows and audit events; applies at most once, like sentRecordStatement.
   */
  sendFailedRecordStatement(id: string, attempts: SmsAttempt[], auditEvents: SqlStatement | null): SqlStatement {
    return onceStatement(
      [
        `UPDATE sms_verifications
            SET status = CASE WHEN status IN ('pending', 'canceled', 'expired') THEN $2 ELSE status END,
                delivery_status = $3, updated_at = now()
          WHERE id = $1 AND delivery_status IS NULL
          RETURNING id`,
        [id, VerificationStatus.Failed, DeliveryStatus.Failed],
      ],
      [this.deliveryAttemptsStatement(id, attempts), auditEvents],
    );
  }

  /**
   * After a reservation failed (its COMMIT may still have succeeded): the code, if it exists and nothing
   * was sent for it, becomes `failed`, so that the failed request does not count toward cooldown and caps.
   * The audit events are written only if such a code existed; applies at most once.
   */
  voidReservationStatement(id: string, auditEvents: SqlStatement | null): SqlStatement {
    return onceStatement(
      [
        `UPDATE sms_verifications SET status = $2, updated_at = now()
          WHERE id = $1 AND status IN ('pending', 'canceled', 'expired') AND delivery_status IS NULL
          RETURNING id`,
        [id, VerificationStatus.Failed],
      ],
      [auditEvents],
    );
  }

  /**
   * What a verify must know, in one query: the phone's lock if one is in force, and its pending code,
   * row-locked so that concurrent verifies of it take turns (a waiter re-reads the row and finds it no
   * longer pending once the first one approved it).
   */
  async findPendingForUpdate(
    manager: EntityManager,
    phoneNumber: string,
  ): Promise<{ now: Date; lockedUntil: Date | null; pending: (SmsVerification & { expired: boolean }) | null }> {
    const [row] = await manager.query<PendingForUpdateRow[]>(
      `SELECT now() AS now, l.locked_until,
              p.id, p.code_hash, p.attempts, p.max_attempts, p.expires_at, p.provider,
                (p.expires_at <= now()) AS expired
         FROM (SELECT 1) AS one
         LEFT JOIN phone_locks l ON l.phone_number = $1 AND l.locked_until > now()
         LEFT JOIN LATERAL (
           SELECT id, code_hash, attempts, max_attempts, expires_at, provider
             FROM sms_verifications
            WHERE phone_number = $1 AND status = 'pending'
            FOR UPDATE) p ON true`,
      [phoneNumber],
    );
    const pending = row.id
      ? Object.assign(new SmsVerification(), {
          id: row.id,
          phoneNumber,
          codeHash: row.code_hash,
          attempts: row.attempts,
          maxAttempts: row.max_attempts,
          expiresAt: row.expires_at,
          provider: row.provider,
          expired: row.expired,
        })
      : null;
    return { now: row.now, lockedUntil: row.locked_until, pending };
  }

  /** The status of the phone's most recent code, to explain why nothing is pending. */
  async latestStatus(manager: EntityManager, phoneNumber: string): Promise<VerificationStatus | null> {
    const [row] = await manager.query<{ status: VerificationStatus }[]>(
      'SELECT status FROM sms_verifications WHERE phone_number = $1 ORDER BY created_at DESC LIMIT 1',
      [phoneNumber],
    );
    return row?.status ?? null;
  }

  async setStatus(manager: EntityManager, id: string, status: VerificationStatus): Promise<void> {
    await manager.query('UPDATE sms_verifications SET status = $2, updated_at = now() WHERE id = $1', [id, status]);
  }

  /** Counts one wrong code; returns the new attempt count. */
  async recordWrongAttempt(manager: EntityManager, id: string, maxAttempts: number): Promise<number> {
    const [rows] = await manager.query<[{ attempts: number }[], number]>(
      `UPDATE sms_verifications
          SET attempts = attempts + 1,
              status = CASE WHEN attempts + 1 >= $2 THEN 'max_attempts_reached' ELSE status END,
              updated_at = now()
        WHERE id = $1
        RETURNING attempts`,
      [id, maxAttempts],
    );
    return rows[0].attempts;
  }

  approveStatement(id: string, userId: string): SqlStatement {
    return [
      'UPDATE sms_verifications SET status = $2, verified_at = now(), user_id = $3, updated_at = now() WHERE id = $1',
      [id, VerificationStatus.Approved, userId],
    ];
  }

  /**
   * Wrong codes entered for this phone in the last 24 h, across every code sent (resending does not
   * reset it), counting only codes sent after the phone's last lock ended: a served lock wipes the slate.
   */
  async failuresLastDay(manager: EntityManager, phoneNumber: string): Promise<number> {
    const [row] = await manager.query<{ failures: number }[]>(
      `SELECT coalesce(sum(attempts), 0)::int AS failures
         FROM sms_verifications
        WHERE phone_number = $1
          AND created_at > greatest(
                now() - interval '24 hours',
                (SELECT locked_until FROM phone_locks WHERE phone_number = $1))`,
      [phoneNumber],
    );
    return row.failures;
  }
}
