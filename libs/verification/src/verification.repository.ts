import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AuditRow } from '@app/audit';
import { refreshTokenTtlSeconds } from '@app/auth';
import type { AppConfig } from '@app/config';
import { inRequestOrder, SqlClient, StatementCoalescer } from '@app/database';
import type { DeliveryStatus, SmsAttempt } from '@app/sms';
import { FraudGuard } from './fraud/fraud-guard.service';
import { PendingCodeCache, type PendingCode } from './pending-code-cache';

export interface SendReservationRequest {
  id: string;
  phoneNumber: string;
  country: string | null;
  codeHash: string;
  locale: string;
  isTestNumber: boolean;
  ip: string | null;
  userAgent: string | null;
  action: 'send' | 'resend';
  /** The fraud guard's allow list that lets this send through unjudged, if any. */
  fraudBypass: string | null;
  /** SMS_PRICES' price of the send (a decimal string), for the guard's spend cap; null when unpriced. */
  price: string | null;
}

/** The fraud guard's verdict on a send that passed the phone's checks (none when the guard is off). */
export interface FraudVerdict {
  action: 'allowed' | 'blocked';
  rule: string | null;
}

/** What sms_auth_reserve_send answered: the code is reserved, or the send is refused (and audited). */
export type SendReservation =
  | { result: 'RESERVED'; resendAfter: number; fraud: FraudVerdict | null }
  | { result: 'SEND_BLOCKED'; retryAfter: number; fraud: FraudVerdict & { rule: string } }
  | { result: 'PHONE_BLOCKED' }
  | { result: 'PHONE_LOCKED'; now: Date; lockedUntil: Date; retryAfter: number }
  | { result: 'RATE_LIMITED' | 'RESEND_TOO_SOON'; retryAfter: number; limit: string };

interface ReservationRow {
  request: number;
  result: SendReservation['result'];
  db_now: Date;
  locked_until: Date | null;
  retry_after: number | null;
  refused_limit: string | null;
  resend_after: number | null;
  fraud_action: FraudVerdict['action'] | null;
  fraud_rule: string | null;
}

export interface VerifyWriteRequest {
  phoneNumber: string;
  /** The pending code the caller read and checked, null when there was none. */
  readId: string | null;
  matched: boolean;
  /** The session and first refresh token a right code creates. */
  sessionId: string;
  refreshTokenHash: string;
  ip: string | null;
  userAgent: string | null;
}

export type VerifyResult =
  | 'APPROVED'
  | 'STALE'
  | 'PHONE_BLOCKED'
  | 'PHONE_LOCKED'
  | 'NO_ACTIVE_CODE'
  | 'CODE_EXPIRED'
  | 'MAX_ATTEMPTS_REACHED'
  | 'CODE_INVALID';

export interface VerifyWriteRow {
  request: number;
  result: VerifyResult;
  db_now: Date;
  locked_until: Date | null;
  attempts_left: number | null;
  /** Wrong codes of the phone in 24 h, when this one was wrong. */
  failures: number | null;
  verification_id: string | null;
  provider: string | null;
  user_id: string | null;
  user_created_at: Date | null;
  user_last_login_at: Date | null;
  is_new_user: boolean | null;
}

/**
 * The record of one send, written by sms_auth_record_sends at most once: `sent` (a provider accepted it),
 * `send_failed` (none did: the code becomes failed) or `reservation_voided` (the request failed after its
 * reservation may have committed: the code becomes failed if nothing was sent for it). The phone orders the
 * rows of a batch (see sms_auth_record_sends).
 */
export type SendRecord =
  | {
      kind: 'sent';
      verificationId: string;
      phoneNumber: string;
      accepted: { provider: string; messageId: string | null; status: DeliveryStatus };
      attempts: SmsAttempt[];
      events: AuditRow[];
    }
  | { kind: 'send_failed'; verificationId: string; phoneNumber: string; attempts: SmsAttempt[]; events: AuditRow[] }
  | { kind: 'reservation_voided'; verificationId: string; phoneNumber: string; events: AuditRow[] };

const RESERVE_SQL = 'SELECT * FROM sms_auth_reserve_sends($1, $2, $3, $4, $5, $6, $7)';
const PENDING_CODES_KEPT = 100_000;
const READ_PENDING_SQL =
  "SELECT phone_number, id, code_hash FROM sms_verifications WHERE phone_number = ANY($1) AND status = 'pending'";
const VERIFY_SQL = 'SELECT * FROM sms_auth_verify_codes($1, $2, $3, $4)';
const RECORD_SENDS_SQL = 'SELECT count(*) FILTER (WHERE applied)::int AS applied FROM sms_auth_record_sends($1)';

/** A delivery attempt as the JSON the SQL functions read (sms_auth_record_sends, sms_auth_record_failover). */
export function attemptJson(attempt: SmsAttempt): Record<string, unknown> {
  return {
    provider: attempt.provider,
    channel: attempt.channel,
    cost: attempt.cost?.amount ?? null,
    cost_currency: attempt.cost?.currency ?? null,
    provider_message_id: attempt.messageId,
    status: attempt.status,
    // Vendors' codes and texts have no length limit of their own: the functions cut them to the columns'.
    error_code: attempt.errorCode,
    error_message: attempt.errorMessage,
    started_at: attempt.startedAt,
    finished_at: attempt.finishedAt,
  };
}

/** A send record as the JSON sms_auth_record_sends reads. */
function recordJson(record: SendRecord): Record<string, unknown> {
  const attempts = 'attempts' in record ? record.attempts : [];
  return {
    kind: record.kind,
    verification_id: record.verificationId,
    phone_number: record.phoneNumber,
    ...(record.kind === 'sent'
      ? {
          provider: record.accepted.provider,
          message_id: record.accepted.messageId,
          delivery_status: record.accepted.status,
        }
      : {}),
    deliveries: attempts.map(attemptJson),
    events: record.events,
  };
}

/**
 * The SQL of codes on the hot paths. Each method is ONE statement (a function of migration HotPathFunctions),
 * committed on its own and shared with the concurrent calls of the same method (StatementCoalescer).
 */
@Injectable()
export class VerificationRepository {
  private readonly reservations: StatementCoalescer<SendReservationRequest, ReservationRow>;
  private readonly pendingReads: StatementCoalescer<string, PendingCode | null>;
  private readonly pendingCodes: PendingCodeCache;
  private readonly verifyWrites: StatementCoalescer<VerifyWriteRequest, VerifyWriteRow>;

  constructor(
    private readonly sql: SqlClient,
    config: ConfigService<AppConfig, true>,
    fraudGuard: FraudGuard,
  ) {
    const reserveSettings = [
      config.get('OTP_MAX_ATTEMPTS', { infer: true }),
      config.get('OTP_TTL_SECONDS', { infer: true }),
      config.get('RESEND_COOLDOWN_SECONDS', { infer: true }),
      config.get('PHONE_SEND_LIMIT_HOUR', { infer: true }),
      config.get('PHONE_SEND_LIMIT_DAY', { infer: true }),
      fraudGuard.statementSettings,
    ];
    const verifySettings = [
      config.get('PHONE_MAX_FAILURES', { infer: true }),
      config.get('PHONE_LOCK_SECONDS', { infer: true }),
      refreshTokenTtlSeconds(config),
    ];
    this.reservations = new StatementCoalescer(async (requests) =>
      inRequestOrder(
        await this.sql.query<ReservationRow>(RESERVE_SQL, [
          JSON.stringify(requests.map(reservationJson)),
          ...reserveSettings,
        ]),
        requests.length,
      ),
    );
    // Enough for every code of OTP_TTL_SECONDS at hundreds of sends a second (about 20 MB when full).
    this.pendingCodes = new PendingCodeCache(PENDING_CODES_KEPT, config.get('OTP_TTL_SECONDS', { infer: true }) * 1000);
    this.pendingReads = new StatementCoalescer(async (phones) => {
      const rows = await this.sql.query<{ phone_number: string; id: string; code_hash: string }>(READ_PENDING_SQL, [
        [...new Set(phones)],
      ]);
      const byPhone = new Map(rows.map((row) => [row.phone_number, { id: row.id, codeHash: row.code_hash }]));
      return phones.map((phone) => byPhone.get(phone) ?? null);
    });
    this.verifyWrites = new StatementCoalescer(async (requests) =>
      inRequestOrder(
        await this.sql.query<VerifyWriteRow>(VERIFY_SQL, [JSON.stringify(requests.map(verifyJson)), ...verifySettings]),
        requests.length,
      ),
    );
  }

  async reserveSend(request: SendReservationRequest): Promise<SendReservation> {
    const row = await this.reservations.submit(request);
    const fraud = row.fraud_action ? { action: row.fraud_action, rule: row.fraud_rule } : null;
    if (row.result === 'RESERVED') {
      this.pendingCodes.remember(request.phoneNumber, { id: request.id, codeHash: request.codeHash });
      return { result: row.result, resendAfter: row.resend_after ?? 0, fraud };
    }
    if (row.result === 'SEND_BLOCKED')
      return { result: row.result, retryAfter: row.retry_after!, fraud: { action: 'blocked', rule: row.fraud_rule! } };
    if (row.result === 'PHONE_BLOCKED') return { result: row.result };
    if (row.result === 'PHONE_LOCKED')
      return { result: row.result, now: row.db_now, lockedUntil: row.locked_until!, retryAfter: row.retry_after! };
    return { result: row.result, retryAfter: row.retry_after!, limit: row.refused_limit! };
  }

  /**
   * The phone's pending code, without a lock: verify checks it, then writes under the lock (writeVerify), which
   * answers STALE if it is no longer the pending one. From this instance's memory when it has it, unless `fresh`.
   */
  async readPending(phoneNumber: string, { fresh = false } = {}): Promise<PendingCode | null> {
    const remembered = fresh ? null : this.pendingCodes.recall(phoneNumber);
    if (remembered) return remembered;
    const pending = await this.pendingReads.submit(phoneNumber);
    if (pending) this.pendingCodes.remember(phoneNumber, pending);
    else this.pendingCodes.forget(phoneNumber);
    return pending;
  }

  async writeVerify(request: VerifyWriteRequest): Promise<VerifyWriteRow> {
    const row = await this.verifyWrites.submit(request);
    // A wrong code leaves the code pending; every other answer means it is not (or not the one remembered).
    if (row.result !== 'CODE_INVALID') this.pendingCodes.forget(request.phoneNumber);
    return row;
  }

  /** Writes the records (any number, in one statement and one commit); returns how many applied. */
  async recordSends(records: SendRecord[]): Promise<number> {
    const row = await this.sql.one<{ applied: number }>(RECORD_SENDS_SQL, [JSON.stringify(records.map(recordJson))]);
    return row.applied;
  }
}

function reservationJson(request: SendReservationRequest): Record<string, unknown> {
  return {
    id: request.id,
    phone_number: request.phoneNumber,
    country: request.country,
    code_hash: request.codeHash,
    locale: request.locale,
    is_test_number: request.isTestNumber,
    ip: request.ip,
    user_agent: request.userAgent,
    action: request.action,
    fraud_bypass: request.fraudBypass,
    price: request.price,
  };
}

function verifyJson(request: VerifyWriteRequest): Record<string, unknown> {
  return {
    phone_number: request.phoneNumber,
    read_id: request.readId,
    matched: request.matched,
    session_id: request.sessionId,
    refresh_token_hash: request.refreshTokenHash,
    ip: request.ip,
    user_agent: request.userAgent,
  };
}
