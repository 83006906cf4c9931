import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditRecord, AuditService } from '@app/audit';
import { AuthService, IssuedLogin } from '@app/auth';
import { ClientInfo, DomainError, ErrorCode, maskPhone } from '@app/common';
import { WriteBatch } from '@app/database';
import type { AppConfig, Locale } from '@app/config';
import { SmsMetrics } from '@app/metrics';
import { PhoneNumber, PhoneService } from '@app/phone';
import { DeliveryStatus, MessageTemplates, SmsDispatcher, SmsDispatchResult } from '@app/sms';
import { DataSource, EntityManager } from 'typeorm';
import { CodeHasher } from './code-hasher';
import { VerificationStatus } from './entities/verification-status';
import { decideSend, SendHistory } from './send-policy';
import { SendRecordWriter } from './send-record-writer';
import { TestNumbers } from './test-numbers.service';
import { VerificationRepository } from './verification.repository';

export interface CodeRequest {
  phoneNumber: string;
  locale?: Locale;
  resend: boolean;
}

export interface CodeRequestResult {
  verificationId: string;
  phoneNumber: string;
  smsId: string | null;
  expiresIn: number;
  resendAfter: number;
  /** Only when SMS_EXPOSE_CODE is on outside production. */
  debugCode?: string;
}

export interface VerifiedLogin extends IssuedLogin {
  verificationId: string;
  phoneNumber: string;
}

/** A send either refused (audited, nothing else changed) or reserved with the history it was checked against. */
type SendReservation = { refusal: DomainError } | { history: SendHistory & { now: Date; lockedUntil: Date | null } };

const TEST_NUMBER_PROVIDER = 'test_number';

/** SPEC §3: issuing, sending and checking one-time codes. */
@Injectable()
export class VerificationService {
  private readonly logger = new Logger(VerificationService.name);
  private readonly settings: {
    ttlSeconds: number;
    maxAttempts: number;
    maxFailures: number;
    lockSeconds: number;
    defaultLocale: Locale;
    exposeCode: boolean;
    limits: { cooldownSeconds: number; perHour: number; perDay: number };
  };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifications: VerificationRepository,
    private readonly phones: PhoneService,
    private readonly hasher: CodeHasher,
    private readonly testNumbers: TestNumbers,
    private readonly templates: MessageTemplates,
    private readonly sms: SmsDispatcher,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: SmsMetrics,
    private readonly records: SendRecordWriter,
  ) {
    this.settings = {
      ttlSeconds: config.get('OTP_TTL_SECONDS', { infer: true }),
      maxAttempts: config.get('OTP_MAX_ATTEMPTS', { infer: true }),
      maxFailures: config.get('PHONE_MAX_FAILURES', { infer: true }),
      lockSeconds: config.get('PHONE_LOCK_SECONDS', { infer: true }),
      defaultLocale: config.get('SMS_DEFAULT_LOCALE', { infer: true }),
      exposeCode:
        config.get('SMS_EXPOSE_CODE', { infer: true }) && config.get('NODE_ENV', { infer: true }) !== 'production',
      limits: {
        cooldownSeconds: config.get('RESEND_COOLDOWN_SECONDS', { infer: true }),
        perHour: config.get('PHONE_SEND_LIMIT_HOUR', { infer: true }),
        perDay: config.get('PHONE_SEND_LIMIT_DAY', { infer: true }),
      },
    };
  }

  /**
   * Issues a new code (canceling the pending one) and hands it to the SMS providers. Refusals
   * (lock, cooldown, caps) are audited and change nothing else.
   */
  async requestCode(request: CodeRequest, client: ClientInfo): Promise<CodeRequestResult> {
    const phone = this.phones.parse(request.phoneNumber);
    const fixedCode = this.testNumbers.fixedCodeFor(phone.e164);
    // Test numbers are fixed entries of the operator's config: they skip the mobile and country checks.
    if (fixedCode === undefined) this.phones.assertSmsRecipient(phone);
    const locale = request.locale ?? this.settings.defaultLocale;
    const verificationId = randomUUID();
    const code = fixedCode ?? this.hasher.generate();
    const base: Pick<AuditRecord, 'client' | 'phoneNumber'> = { client, phoneNumber: phone.e164 };

    const reservation = await this.reserve(verificationId, base, async (manager): Promise<SendReservation> => {
      await this.verifications.lockPhoneForTransaction(manager, phone.e164);
      const history = await this.verifications.sendHistory(manager, phone.e164);
      const refusal = this.sendRefusal(history);
      if (refusal) {
        await this.audit.record(
          {
            ...base,
            type: refusal.auditType,
            outcome: 'failure',
            details: { action: request.resend ? 'resend' : 'send', ...refusal.error.details },
          },
          manager,
        );
        return { refusal: refusal.error };
      }
      const closed = await this.verifications.closePending(manager, phone.e164);
      await new WriteBatch()
        .add(
          this.verifications.insertPendingStatement({
            id: verificationId,
            phoneNumber: phone.e164,
            country: phone.country,
            codeHash: this.hasher.hash(verificationId, code),
            maxAttempts: this.settings.maxAttempts,
            locale,
            isTestNumber: fixedCode !== undefined,
            ip: client.ip,
            userAgent: client.userAgent,
            ttlSeconds: this.settings.ttlSeconds,
          }),
        )
        .add(
          this.audit.insertStatement([
            {
              ...base,
              type: AuditEventType.CodeRequested,
              outcome: 'success',
              verificationId,
              details: {
                action: request.resend ? 'resend' : 'send',
                locale,
                test_number: fixedCode !== undefined,
                replaced: closed.map((row) => row.id),
              },
            },
          ]),
        )
        .execute(manager);
      return { history };
    });
    if ('refusal' in reservation) throw reservation.refusal;

    const smsId = fixedCode
      ? await this.recordTestNumberSend(verificationId, base)
      : await this.deliver(
          verificationId,
          phone,
          this.templates.render(locale, { code, ttlSeconds: this.settings.ttlSeconds }),
          base,
        );

    const { history } = reservation;
    return {
      verificationId,
      phoneNumber: phone.e164,
      smsId,
      // The code expires OTP_TTL_SECONDS after its transaction's now().
      expiresIn: this.settings.ttlSeconds,
      resendAfter: this.resendAfter(history),
      ...(this.settings.exposeCode ? { debugCode: code } : {}),
    };
  }

  /**
   * Runs the reservation transaction. If it fails after `work` inserted the code, its COMMIT may still have
   * succeeded (a connection lost while committing): that code is voided, now or as soon as the database
   * takes writes again, so that a request that sent nothing never counts toward cooldown and caps. A
   * failure inside `work` rolls everything back, so there is nothing to void.
   */
  private async reserve(
    verificationId: string,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
    work: (manager: EntityManager) => Promise<SendReservation>,
  ): Promise<SendReservation> {
    let inserted = false;
    try {
      return await this.dataSource.transaction(async (manager) => {
        const reservation = await work(manager);
        inserted = 'history' in reservation;
        return reservation;
      });
    } catch (error) {
      if (!inserted) throw error;
      const voided = this.audit.insertStatement([
        {
          ...base,
          verificationId,
          type: AuditEventType.CodeSendFailed,
          outcome: 'failure',
          details: { reason: 'request_failed', sent: false },
        },
      ]);
      await this.records.write(this.verifications.voidReservationStatement(verificationId, voided), {
        verificationId,
        kind: 'reservation_voided',
      });
      throw error;
    }
  }

  /**
   * Checks a code atomically: the pending row is locked, so of N concurrent right answers exactly one
   * wins and the rest see no pending code. Wrong codes count toward the code's and the phone's limits.
   */
  async verifyCode(phoneNumber: string, code: string, client: ClientInfo): Promise<VerifiedLogin> {
    const phone = this.phones.parse(phoneNumber);
    const base: Pick<AuditRecord, 'client' | 'phoneNumber'> = { client, phoneNumber: phone.e164 };
    const outcome = await this.dataSource.transaction(
      async (manager): Promise<{ error: DomainError } | { login: VerifiedLogin; provider: string | null }> => {
        const { now, lockedUntil, pending } = await this.verifications.findPendingForUpdate(manager, phone.e164);
        if (lockedUntil) {
          const error = this.phoneLockedError(lockedUntil, now);
          await this.audit.record(
            { ...base, type: AuditEventType.CodeVerifyFailed, outcome: 'failure', details: { reason: 'phone_locked' } },
            manager,
          );
          return { error };
        }
        if (!pending) {
          const error = this.noPendingCodeError(await this.verifications.latestStatus(manager, phone.e164));
          await this.audit.record(
            {
              ...base,
              type: AuditEventType.CodeVerifyFailed,
              outcome: 'failure',
              details: { reason: error.code.toLowerCase() },
            },
            manager,
          );
          return { error };
        }
        const audited = { ...base, verificationId: pending.id, provider: pending.provider };
        if (pending.expired) {
          await this.verifications.setStatus(manager, pending.id, VerificationStatus.Expired);
          await this.audit.record(
            {
              ...audited,
              type: AuditEventType.CodeVerifyFailed,
              outcome: 'failure',
              details: { reason: 'code_expired' },
            },
            manager,
          );
          return { error: new DomainError(ErrorCode.CodeExpired, 'The code has expired; request a new one') };
        }
        if (this.hasher.matches(pending.codeHash, pending.id, code)) {
          const batch = new WriteBatch();
          const login = await this.auth.issueLogin(manager, batch, phone.e164, client, pending.id);
          await batch
            .add(this.verifications.approveStatement(pending.id, login.user.id))
            .add(
              this.audit.insertStatement([
                login.auditEvent,
                {
                  ...audited,
                  type: AuditEventType.CodeVerified,
                  outcome: 'success',
                  userId: login.user.id,
                  sessionId: login.tokens.sessionId,
                },
              ]),
            )
            .execute(manager);
          return {
            login: { ...login, verificationId: pending.id, phoneNumber: phone.e164 },
            provider: pending.provider,
          };
        }
        return { error: await this.recordWrongCode(manager, pending, audited) };
      },
    );
    if ('error' in outcome) {
      this.metrics.verifyFailed(outcome.error.code.toLowerCase());
      throw outcome.error;
    }
    this.metrics.codeVerified(outcome.provider);
    return outcome.login;
  }

  private async recordWrongCode(
    manager: EntityManager,
    pending: { id: string; maxAttempts: number },
    audited: Pick<AuditRecord, 'client' | 'phoneNumber' | 'verificationId' | 'provider'>,
  ): Promise<DomainError> {
    const attempts = await this.verifications.recordWrongAttempt(manager, pending.id, pending.maxAttempts);
    const attemptsLeft = Math.max(0, pending.maxAttempts - attempts);
    const events: AuditRecord[] = [
      {
        ...audited,
        type: AuditEventType.CodeVerifyFailed,
        outcome: 'failure',
        details: { reason: 'code_invalid', attempts, attempts_left: attemptsLeft },
      },
    ];
    let error =
      attemptsLeft > 0
        ? new DomainError(ErrorCode.CodeInvalid, 'The code is wrong', { attempts_left: attemptsLeft })
        : new DomainError(ErrorCode.MaxAttemptsReached, 'Too many wrong codes; request a new one', {
            attempts_left: 0,
          });
    if (attemptsLeft === 0)
      events.push({ ...audited, type: AuditEventType.MaxAttemptsReached, outcome: 'failure', details: { attempts } });

    const failures = await this.verifications.failuresLastDay(manager, audited.phoneNumber!);
    if (failures >= this.settings.maxFailures) {
      const lockedUntil = await this.verifications.lockPhone(
        manager,
        audited.phoneNumber!,
        this.settings.lockSeconds,
        'too_many_failures',
      );
      events.push({
        ...audited,
        type: AuditEventType.PhoneLocked,
        outcome: 'failure',
        details: { failures_24h: failures, locked_until: lockedUntil.toISOString() },
      });
      this.logger.warn(`phone ${maskPhone(audited.phoneNumber!)} locked after ${failures} wrong codes in 24 h`);
      error = this.phoneLockedError(lockedUntil, new Date());
    }
    await this.audit.recordMany(events, manager);
    return error;
  }

  private sendRefusal(
    history: SendHistory & { now: Date; lockedUntil: Date | null },
  ): { error: DomainError; auditType: AuditEventType } | null {
    if (history.lockedUntil)
      return {
        error: this.phoneLockedError(history.lockedUntil, history.now),
        auditType: AuditEventType.CodeSendFailed,
      };
    const decision = decideSend(history, this.settings.limits, history.now);
    if (decision.allowed) return null;
    const message =
      decision.code === ErrorCode.ResendTooSoon
        ? `A new code can be requested in ${decision.retryAfterSeconds} s`
        : 'Too many codes were requested for this number; try again later';
    return {
      error: new DomainError(
        decision.code,
        message,
        { retry_after: decision.retryAfterSeconds, limit: decision.limit },
        decision.retryAfterSeconds,
      ),
      auditType: AuditEventType.RateLimited,
    };
  }

  /** Seconds until the next send to this phone is allowed, counting the one just made. */
  private resendAfter(before: SendHistory & { now: Date }): number {
    const after: SendHistory = {
      sendsLastHour: before.sendsLastHour + 1,
      sendsLastDay: before.sendsLastDay + 1,
      lastSentAt: before.now,
      oldestInHourAt: before.oldestInHourAt ?? before.now,
      oldestInDayAt: before.oldestInDayAt ?? before.now,
    };
    const decision = decideSend(after, this.settings.limits, before.now);
    return decision.allowed ? 0 : decision.retryAfterSeconds;
  }

  private async deliver(
    verificationId: string,
    phone: PhoneNumber,
    text: string,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
  ): Promise<string | null> {
    const result: SmsDispatchResult = await this.sms.dispatch({ to: phone.e164, text }, phone.country);
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
    // The attempts, the code's new state and their audit events: one statement, all or nothing, that
    // applies at most once. The message is out: if the database refuses the record now, it is retried in
    // the background and the client still gets its answer.
    const auditEvents = this.audit.insertStatement(events);
    const written = await this.records.write(
      result.accepted
        ? this.verifications.sentRecordStatement(verificationId, result.accepted, result.attempts, auditEvents)
        : this.verifications.sendFailedRecordStatement(verificationId, result.attempts, auditEvents),
      { verificationId, kind: result.accepted ? 'sent' : 'send_failed' },
    );
    if (written === 'deferred')
      this.logger.warn(`the send record of verification ${verificationId} is pending: the database refused it`);
    if (!result.accepted) {
      this.logger.warn(`no SMS provider accepted the code for ${maskPhone(phone.e164)}: ${result.error?.code}`);
      throw result.error ?? new DomainError(ErrorCode.SmsProviderUnavailable, 'No SMS provider is configured');
    }
    this.metrics.codeSent(result.accepted.provider);
    return result.accepted.messageId;
  }

  private async recordTestNumberSend(
    verificationId: string,
    base: Pick<AuditRecord, 'client' | 'phoneNumber'>,
  ): Promise<null> {
    const events = this.audit.insertStatement([
      {
        ...base,
        verificationId,
        type: AuditEventType.CodeSent,
        outcome: 'success',
        provider: TEST_NUMBER_PROVIDER,
        details: { test_number: true },
      },
    ]);
    await this.records.write(
      this.verifications.sentRecordStatement(
        verificationId,
        { provider: TEST_NUMBER_PROVIDER, messageId: null, status: DeliveryStatus.Delivered },
        [],
        events,
      ),
      { verificationId, kind: 'sent' },
    );
    this.metrics.codeSent(TEST_NUMBER_PROVIDER);
    return null;
  }

  private noPendingCodeError(latest: VerificationStatus | null): DomainError {
    if (latest === VerificationStatus.MaxAttemptsReached)
      return new DomainError(ErrorCode.MaxAttemptsReached, 'Too many wrong codes; request a new one', {
        attempts_left: 0,
      });
    if (latest === VerificationStatus.Expired)
      return new DomainError(ErrorCode.CodeExpired, 'The code has expired; request a new one');
    return new DomainError(ErrorCode.NoActiveCode, 'There is no active code for this number; request one');
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
