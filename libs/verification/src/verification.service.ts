import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditEventType, AuditRecord, auditRow } from '@app/audit';
import { AuthService, IssuedLogin, User } from '@app/auth';
import { ClientInfo, DomainError, ErrorCode, maskPhone } from '@app/common';
import { mayHaveCommitted } from '@app/database';
import type { AppConfig, Locale } from '@app/config';
import { SmsMetrics } from '@app/metrics';
import { PhoneNumber, PhoneService } from '@app/phone';
import {
  DeliveryChannel,
  DeliveryStatus,
  MessageTemplates,
  SmsDispatcher,
  SmsDispatchResult,
  type SmsMessage,
} from '@app/sms';
import { CodeHasher } from './code-hasher';
import { FraudGuard } from './fraud/fraud-guard.service';
import { DeliveryFailover } from './jobs/delivery-failover.service';
import { PostVerifyReports } from './jobs/post-verify-reports.service';
import { SendRecordWriter } from './send-record-writer';
import { TestNumbers } from './test-numbers.service';
import {
  type SendRecord,
  type SendReservation,
  type SendReservationRequest,
  VerificationRepository,
  type VerifyWriteRow,
} from './verification.repository';

export interface CodeRequest {
  phoneNumber: string;
  locale?: Locale;
  /** Only the links of this channel in the number's chain (SPEC §9); test numbers ignore it. */
  channel?: DeliveryChannel;
  resend: boolean;
}

export interface CodeRequestResult {
  verificationId: string;
  phoneNumber: string;
  smsId: string | null;
  /** The channel of the link that accepted the code (`sms` for test numbers). */
  channel: DeliveryChannel;
  expiresIn: number;
  resendAfter: number;
  /** Only when SMS_EXPOSE_CODE is on outside production. */
  debugCode?: string;
}

export interface VerifiedLogin extends IssuedLogin {
  verificationId: string;
  phoneNumber: string;
}

const TEST_NUMBER_PROVIDER = 'test_number';

/** What the client is told of a handed-over code. */
interface SentCode {
  messageId: string | null;
  channel: DeliveryChannel;
}

/** Reads of the pending code per verify: each further one follows a new code sent between a read and its write. */
const MAX_VERIFY_READS = 3;

/** SPEC §3: issuing, sending and checking one-time codes. */
@Injectable()
export class VerificationService {
  private readonly logger = new Logger(VerificationService.name);
  private readonly settings: { ttlSeconds: number; defaultLocale: Locale; exposeCode: boolean };

  constructor(
    private readonly verifications: VerificationRepository,
    private readonly phones: PhoneService,
    private readonly hasher: CodeHasher,
    private readonly testNumbers: TestNumbers,
    private readonly templates: MessageTemplates,
    private readonly sms: SmsDispatcher,
    private readonly auth: AuthService,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: SmsMetrics,
    private readonly records: SendRecordWriter,
    private readonly failover: DeliveryFailover,
    private readonly postVerify: PostVerifyReports,
    private readonly fraudGuard: FraudGuard,
  ) {
    this.settings = {
      ttlSeconds: config.get('OTP_TTL_SECONDS', { infer: true }),
      defaultLocale: config.get('SMS_DEFAULT_LOCALE', { infer: true }),
      exposeCode:
        config.get('SMS_EXPOSE_CODE', { infer: true }) && config.get('NODE_ENV', { infer: true }) !== 'production',
    };
  }

  /**
   * Issues a new code (canceling the pending one) and hands it to the SMS providers. Refusals (block, lock,
   * cooldown, caps) are audited and change nothing else. The reservation is one statement
   * (sms_auth_reserve_sends), the record of the send another, written together with those of concurrent sends
   * (SendRecordWriter).
   */
  async requestCode(request: CodeRequest, client: ClientInfo): Promise<CodeRequestResult> {
    const phone = this.phones.parse(request.phoneNumber);
    const fixedCode = this.testNumbers.fixedCodeFor(phone.e164);
    // Test numbers are fixed entries of the operator's config: they skip the mobile and country checks.
    if (fixedCode === undefined) this.phones.assertSmsRecipient(phone);
    // Before the reservation: a channel the chain cannot deliver issues no code and counts toward nothing.
    if (fixedCode === undefined && request.channel) this.assertChannelAvailable(phone, request.channel);
    const locale = request.locale ?? this.settings.defaultLocale;
    const verificationId = randomUUID();
    const code = fixedCode ?? this.hasher.generate();
    const base: Pick<AuditRecord, 'client' | 'phoneNumber'> = { client, phoneNumber: phone.e164 };

    const reservation = await this.reserve(verificationId, base, {
      id: verificationId,
      phoneNumber: phone.e164,
      country: phone.country,
      codeHash: this.hasher.hash(verificationId, code),
      locale,
      isTestNumber: fixedCode !== undefined,
      ip: client.ip,
      userAgent: client.userAgent,
      action: request.resend ? 'resend' : 'send',
      // The guard never judges test numbers, and reads neither input when it is off.
      ...(fixedCode === undefined && this.fraudGuard.mode !== 'off'
        ? {
            fraudBypass: this.fraudGuard.bypassFor(phone.e164, client.ip),
            price: this.fraudGuard.estimatedPrice(phone.country, request.channel),
          }
        : { fraudBypass: null, price: null }),
    });
    if (reservation.result === 'RESERVED' || reservation.result === 'SEND_BLOCKED') this.countFraudVerdict(reservation);
    if (reservation.result !== 'RESERVED') throw this.sendRefusal(reservation);

    const sent = fixedCode
      ? await this.recordTestNumberSend(verificationId, base)
      : await this.deliver(
          verificationId,
          phone,
          {
            to: phone.e164,
            text: this.templates.render(locale, { code, ttlSeconds: this.settings.ttlSeconds }),
            otp: { code, ttlSeconds: this.settings.ttlSeconds, verificationId },
          },
          base,
          request.channel,
        );

    return {
      verificationId,
      phoneNumber: phone.e164,
      smsId: sent.messageId,
      channel: sent.channel,
      // The code expires OTP_TTL_SECONDS after its statement's now().
      expiresIn: this.settings.ttlSeconds,
      resendAfter: reservation.resendAfter,
      ...(this.settings.exposeCode ? { debugCode: code } : {}),
    };
  }

  /**
   * Runs the reservation. If the statement failed in a way that leaves its COMMIT unknown (the connection
   * broke after sending it), the code it may have inserted is voided, now or as soon as the database takes
   * writes again, so that a request that sent nothing never counts toward cooldown and caps. A failure the
   * server reported changed nothing, so there is nothing to void.
   */
  private async reserve(
    verificationId: string,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
    request: SendReservationRequest,
  ): Promise<SendReservation> {
    try {
      return await this.verifications.reserveSend(request);
    } catch (error) {
      if (!mayHaveCommitted(error)) throw error;
      const events = [
        auditRow({
          ...base,
          verificationId,
          type: AuditEventType.CodeSendFailed,
          outcome: 'failure',
          details: { reason: 'request_failed', sent: false },
        }),
      ];
      await this.records.write({
        kind: 'reservation_voided',
        verificationId,
        phoneNumber: request.phoneNumber,
        events,
      });
      throw error;
    }
  }

  /**
   * Checks a code: the pending code is read, its hash compared in constant time here, and the outcome written
   * by one statement (sms_auth_verify_codes) that locks the code and re-checks it is still the pending one: of N
   * concurrent right answers exactly one wins and the rest see no pending code. Wrong codes count toward the
   * code's and the phone's limits.
   */
  async verifyCode(phoneNumber: string, code: string, client: ClientInfo): Promise<VerifiedLogin> {
    const phone = this.phones.parse(phoneNumber);
    const credentials = this.auth.loginCredentials();
    for (let read = 1; ; read++) {
      // After a STALE answer, from the database: the code remembered (or read) was replaced meanwhile.
      const pending = await this.verifications.readPending(phone.e164, { fresh: read > 1 });
      const row = await this.verifications.writeVerify({
        phoneNumber: phone.e164,
        readId: pending?.id ?? null,
        matched: pending !== null && this.hasher.matches(pending.codeHash, pending.id, code),
        sessionId: credentials.sessionId,
        refreshTokenHash: credentials.refreshTokenHash,
        ip: client.ip,
        userAgent: client.userAgent,
      });
      // A new code came in between the read and the write: nothing was written; check against the new one.
      if (row.result === 'STALE' && read < MAX_VERIFY_READS) continue;
      if (row.result === 'APPROVED') {
        this.metrics.codeVerified(row.provider);
        // Off the request path: an enqueue, not awaited, and only when a link of the chain reports or revokes.
        this.postVerify.afterVerified(row.verification_id!, phone.country, code);
        const user = Object.assign(new User(), {
          id: row.user_id!,
          phoneNumber: phone.e164,
          createdAt: row.user_created_at!,
          lastLoginAt: row.user_last_login_at!,
        });
        const login = await this.auth.issuedLogin(credentials, user, row.is_new_user!);
        return { ...login, verificationId: row.verification_id!, phoneNumber: phone.e164 };
      }
      const error = this.verifyRefusal(row, phone.e164);
      this.metrics.verifyFailed(error.code.toLowerCase());
      throw error;
    }
  }

  private verifyRefusal(row: VerifyWriteRow, phoneNumber: string): DomainError {
    switch (row.result) {
      case 'PHONE_BLOCKED':
        return this.phoneBlockedError();
      case 'PHONE_LOCKED':
        if (row.failures !== null)
          this.logger.warn(`phone ${maskPhone(phoneNumber)} locked after ${row.failures} wrong codes in 24 h`);
        return this.phoneLockedError(row.locked_until!, row.db_now);
      case 'CODE_INVALID':
        return new DomainError(ErrorCode.CodeInvalid, 'The code is wrong', { attempts_left: row.attempts_left });
      case 'MAX_ATTEMPTS_REACHED':
        return new DomainError(ErrorCode.MaxAttemptsReached, 'Too many wrong codes; request a new one', {
          attempts_left: 0,
        });
      case 'CODE_EXPIRED':
        return new DomainError(ErrorCode.CodeExpired, 'The code has expired; request a new one');
      case 'NO_ACTIVE_CODE':
        return new DomainError(ErrorCode.NoActiveCode, 'There is no active code for this number; request one');
      default:
        // APPROVED is not a refusal; STALE after MAX_VERIFY_READS reads means codes are being replaced faster
        // than they can be checked.
        throw new Error(`verify of ${maskPhone(phoneNumber)} ended as ${row.result}`);
    }
  }

  private sendRefusal(refusal: Exclude<SendReservation, { result: 'RESERVED' }>): DomainError {
    if (refusal.result === 'PHONE_BLOCKED') return this.phoneBlockedError();
    // The rule's name only: its figures would teach an attacker the thresholds.
    if (refusal.result === 'SEND_BLOCKED')
      return new DomainError(
        ErrorCode.SendBlocked,
        'Codes cannot be sent to this number right now; try again later',
        { reason: refusal.fraud.rule, retry_after: refusal.retryAfter },
        refusal.retryAfter,
      );
    if (refusal.result === 'PHONE_LOCKED') return this.phoneLockedError(refusal.lockedUntil, refusal.now);
    const message =
      refusal.result === 'RESEND_TOO_SOON'
        ? `A new code can be requested in ${refusal.retryAfter} s`
        : 'Too many codes were requested for this number; try again later';
    const code = refusal.result === 'RESEND_TOO_SOON' ? ErrorCode.ResendTooSoon : ErrorCode.RateLimited;
    return new DomainError(
      code,
      message,
      { retry_after: refusal.retryAfter, limit: refusal.limit },
      refusal.retryAfter,
    );
  }

  private countFraudVerdict(reservation: Extract<SendReservation, { fraud: unknown }>): void {
    if (!reservation.fraud || this.fraudGuard.mode === 'off') return;
    this.metrics.countFraudDecision({ ...reservation.fraud, mode: this.fraudGuard.mode });
  }

  private async deliver(
    verificationId: string,
    phone: PhoneNumber,
    message: SmsMessage,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
    channel?: DeliveryChannel,
  ): Promise<SentCode> {
    const result: SmsDispatchResult = await this.sms.dispatch(message, phone.country, { channel });
    const events: AuditRecord[] = result.attempts
      .filter((attempt) => attempt.error)
      .map((attempt) => ({
        ...base,
        verificationId,
        type: AuditEventType.CodeSendFailed,
        outcome: 'failure' as const,
        provider: attempt.provider,
        details: {
          error_code: attempt.error!.code,
          provider_code: attempt.error!.providerCode,
          message: attempt.errorMessage,
        },
      }));
    if (result.accepted) {
      events.push({
        ...base,
        verificationId,
        type: AuditEventType.CodeSent,
        outcome: 'success',
        provider: result.accepted.provider,
        details: { message_id: result.accepted.messageId, attempts: result.attempts.length },
      });
    }
    // The attempts, the code's new state and their audit events: all or nothing, at most once. The message is
    // out: if the database refuses the record now, it is retried in the background and the client still gets
    // its answer.
    const rows = events.map(auditRow);
    await this.writeRecord(
      result.accepted
        ? {
            kind: 'sent',
            verificationId,
            phoneNumber: phone.e164,
            accepted: result.accepted,
            attempts: result.attempts,
            events: rows,
          }
        : { kind: 'send_failed', verificationId, phoneNumber: phone.e164, attempts: result.attempts, events: rows },
    );
    if (!result.accepted) {
      this.logger.warn(`no SMS provider accepted the code for ${maskPhone(phone.e164)}: ${result.error?.code}`);
      throw result.error ?? new DomainError(ErrorCode.SmsProviderUnavailable, 'No SMS provider is configured');
    }
    this.metrics.codeSent(result.accepted.provider, result.accepted.channel);
    await this.startDeliveryTimer(verificationId, phone, message, result, channel);
    return { messageId: result.accepted.messageId, channel: result.accepted.channel };
  }

  /**
   * After the durable record of the send: the accepting link's delivery timer, when that link has a timeout
   * (one INSERT by pg-boss; nothing at all when no link of any chain has one). A failure costs the failover of
   * this code, never the answer.
   */
  private async startDeliveryTimer(
    verificationId: string,
    phone: PhoneNumber,
    message: SmsMessage,
    result: SmsDispatchResult,
    channel: DeliveryChannel | undefined,
  ): Promise<void> {
    if (!this.failover.enabled || !result.accepted || !message.otp) return;
    await this.failover
      .afterAccepted({
        verificationId,
        country: phone.country,
        channel,
        // dispatch() tried the links (of the asked channel) from the first, one attempt each, up to the accepting one.
        linkIndex: result.attempts.length - 1,
        provider: result.accepted.provider,
        messageId: result.accepted.messageId,
        code: message.otp.code,
        text: message.text,
      })
      .catch((error: unknown) =>
        this.logger.warn(`delivery timer of verification ${verificationId} not started: ${(error as Error).message}`),
      );
  }

  private async recordTestNumberSend(
    verificationId: string,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
  ): Promise<SentCode> {
    await this.writeRecord({
      kind: 'sent',
      verificationId,
      phoneNumber: base.phoneNumber!,
      accepted: { provider: TEST_NUMBER_PROVIDER, messageId: null, status: DeliveryStatus.Delivered },
      attempts: [],
      events: [
        auditRow({
          ...base,
          verificationId,
          type: AuditEventType.CodeSent,
          outcome: 'success',
          provider: TEST_NUMBER_PROVIDER,
          details: { test_number: true },
        }),
      ],
    });
    this.metrics.codeSent(TEST_NUMBER_PROVIDER, DeliveryChannel.Sms);
    return { messageId: null, channel: DeliveryChannel.Sms };
  }

  /** SPEC §9: `CHANNEL_UNAVAILABLE` unless a configured link of the number's chain is of that channel. */
  private assertChannelAvailable(phone: PhoneNumber, channel: DeliveryChannel): void {
    if (this.sms.chainFor(phone.country, channel).length > 0) return;
    throw new DomainError(
      ErrorCode.ChannelUnavailable,
      `No configured provider of this number can deliver by ${channel}`,
      { channel, ...(phone.country ? { country: phone.country } : {}) },
    );
  }

  private async writeRecord(record: SendRecord): Promise<void> {
    if ((await this.records.write(record)) === 'deferred')
      this.logger.warn(`the send record of verification ${record.verificationId} is pending: the database refused it`);
  }

  /** An operator blocked the number (SPEC §7): no details, nothing to wait for. */
  private phoneBlockedError(): DomainError {
    return new DomainError(ErrorCode.PhoneBlocked, 'This number is blocked by the operator');
  }

  private phoneLockedError(lockedUntil: Date, now: Date): DomainError {
    const retryAfter = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
    return new DomainError(
      ErrorCode.PhoneLocked,
      'This number is locked after too many wrong codes',
      { retry_after: retryAfter, locked_until: lockedUntil.toISOString() },
      retryAfter,
    );
  }
}
