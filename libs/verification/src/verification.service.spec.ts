import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { type AuditRow, AuditEventType } from '@app/audit';
import { type AuthService, type IssuedLogin, type LoginCredentials, User } from '@app/auth';
import { type ClientInfo, DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import type { SmsMetrics } from '@app/metrics';
import type { PhoneNumber, PhoneService } from '@app/phone';
import {
  DeliveryChannel,
  DeliveryStatus,
  type MessageTemplates,
  type SmsAttempt,
  type SmsDispatcher,
  type SmsDispatchResult,
  SmsProviderError,
} from '@app/sms';
import type { CodeHasher } from './code-hasher';
import type { DeliveryFailover } from './jobs/delivery-failover.service';
import type { PostVerifyReports } from './jobs/post-verify-reports.service';
import type { FraudGuard } from './fraud/fraud-guard.service';
import type { SendRecordWriter } from './send-record-writer';
import type { TestNumbers } from './test-numbers.service';
import { VerificationService } from './verification.service';
import type {
  SendRecord,
  SendReservation,
  SendReservationRequest,
  VerificationRepository,
  VerifyWriteRequest,
  VerifyWriteRow,
} from './verification.repository';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const CLIENT: ClientInfo = { ip: '203.0.113.7', userAgent: 'unit-test' };
const MOBILE: PhoneNumber = { e164: '+77001234567', country: 'KZ', canReceiveSms: true };
const TEST_NUMBER: PhoneNumber = { e164: '+77000000001', country: 'KZ', canReceiveSms: true };
const TEST_NUMBER_CODE = '111111';
const GENERATED_CODE = '482913';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What the service reads; the limits (attempts, cooldown, caps, lock) are the repository's, for the SQL. */
const DEFAULT_CONFIG: Partial<AppConfig> = {
  NODE_ENV: 'development',
  OTP_TTL_SECONDS: 300,
  SMS_DEFAULT_LOCALE: 'ru',
  SMS_EXPOSE_CODE: true,
};

const CREDENTIALS: LoginCredentials = {
  sessionId: 'session-1',
  refreshToken: 'refresh-token-1',
  refreshTokenHash: 'sha256(refresh-token-1)',
};

function attempt(overrides: Partial<SmsAttempt>): SmsAttempt {
  return {
    provider: 'alpha',
    channel: DeliveryChannel.Sms,
    cost: null,
    messageId: null,
    status: DeliveryStatus.Failed,
    errorCode: null,
    errorMessage: null,
    startedAt: NOW,
    finishedAt: NOW,
    ...overrides,
  };
}

function acceptedBy(provider: string, messageId: string): SmsDispatchResult {
  const accepted = attempt({ provider, messageId, status: DeliveryStatus.Sent });
  return { attempts: [accepted], accepted };
}

/** An audit_events row as the service builds it for the mobile number and CLIENT. */
function row(fields: Pick<AuditRow, 'type' | 'outcome' | 'verification_id'> & Partial<AuditRow>): AuditRow {
  return {
    phone_number: MOBILE.e164,
    user_id: null,
    session_id: null,
    provider: null,
    ip: CLIENT.ip,
    user_agent: CLIENT.userAgent,
    details: {},
    ...fields,
  };
}

function verifyRow(fields: Pick<VerifyWriteRow, 'result'> & Partial<VerifyWriteRow>): VerifyWriteRow {
  return {
    request: 1,
    db_now: NOW,
    locked_until: null,
    attempts_left: null,
    failures: null,
    verification_id: null,
    provider: null,
    user_id: null,
    user_created_at: null,
    user_last_login_at: null,
    is_new_user: null,
    ...fields,
  };
}

const USER_CREATED_AT = new Date('2026-01-15T08:00:00.000Z');
const approved = (verificationId: string): VerifyWriteRow =>
  verifyRow({
    result: 'APPROVED',
    verification_id: verificationId,
    provider: 'alpha',
    user_id: 'user-1',
    user_created_at: USER_CREATED_AT,
    user_last_login_at: NOW,
    is_new_user: false,
  });

const RESERVED: SendReservation = { result: 'RESERVED', resendAfter: 60, fraud: null };

function createSut(config: Partial<AppConfig> = {}, options: { failoverEnabled?: boolean } = {}) {
  const verifications = {
    reserveSend: jest.fn((_request: SendReservationRequest): Promise<SendReservation> => Promise.resolve(RESERVED)),
    readPending: jest.fn(
      (_phoneNumber: string, _options?: { fresh?: boolean }): Promise<{ id: string; codeHash: string } | null> =>
        Promise.resolve(null),
    ),
    writeVerify: jest.fn((_request: VerifyWriteRequest): Promise<VerifyWriteRow> =>
      Promise.resolve(verifyRow({ result: 'NO_ACTIVE_CODE' })),
    ),
  };
  const records = {
    write: jest.fn((_record: SendRecord): Promise<'written' | 'deferred'> => Promise.resolve('written')),
  };
  const phones = {
    parse: jest.fn((input: string) => (input === TEST_NUMBER.e164 ? TEST_NUMBER : MOBILE)),
    assertSmsRecipient: jest.fn(),
  };
  const hasher = {
    generate: jest.fn().mockReturnValue(GENERATED_CODE),
    hash: jest.fn((id: string, code: string) => `hmac(${id}:${code})`),
    matches: jest.fn((stored: string, id: string, candidate: string) => stored === `hmac(${id}:${candidate})`),
  };
  const testNumbers = {
    fixedCodeFor: jest.fn((e164: string) => (e164 === TEST_NUMBER.e164 ? TEST_NUMBER_CODE : undefined)),
  };
  const templates = { render: jest.fn((_locale: string, values: { code: string }) => `Your code: ${values.code}`) };
  const sms = {
    dispatch: jest.fn().mockResolvedValue(acceptedBy('alpha', 'alpha-msg-1')),
    // The chain of every number: one SMS link and one Telegram link.
    chainFor: jest.fn((_country: string | null, channel?: DeliveryChannel) =>
      [
        { name: 'alpha', channel: DeliveryChannel.Sms },
        { name: 'tg', channel: DeliveryChannel.Telegram },
      ].filter((provider) => channel === undefined || provider.channel === channel),
    ),
  };
  const auth = {
    loginCredentials: jest.fn(() => CREDENTIALS),
    issuedLogin: jest.fn((credentials: LoginCredentials, user: User, isNew: boolean): Promise<IssuedLogin> =>
      Promise.resolve({
        user,
        isNew,
        tokens: {
          accessToken: `access-token-of-${credentials.sessionId}`,
          refreshToken: credentials.refreshToken,
          expiresIn: 900,
          sessionId: credentials.sessionId,
        },
      }),
    ),
  };
  const metrics = {
    codeSent: jest.fn(),
    codeVerified: jest.fn(),
    codeSendFailed: jest.fn(),
    verifyFailed: jest.fn(),
    providerCall: jest.fn(),
    countFraudDecision: jest.fn(),
  };
  const values: Partial<AppConfig> = { ...DEFAULT_CONFIG, ...config };
  const failover = { enabled: options.failoverEnabled ?? false, afterAccepted: jest.fn().mockResolvedValue(undefined) };
  const postVerify = { afterVerified: jest.fn() };
  const fraudGuard = {
    mode: 'record',
    bypassFor: jest.fn().mockReturnValue(null),
    estimatedPrice: jest.fn().mockReturnValue('0.012'),
  };

  const sut = new VerificationService(
    verifications as unknown as VerificationRepository,
    phones as unknown as PhoneService,
    hasher as unknown as CodeHasher,
    testNumbers as unknown as TestNumbers,
    templates as unknown as MessageTemplates,
    sms as unknown as SmsDispatcher,
    auth as unknown as AuthService,
    { get: (key: keyof AppConfig) => values[key] } as unknown as ConfigService<AppConfig, true>,
    metrics as unknown as SmsMetrics,
    records as unknown as SendRecordWriter,
    failover as unknown as DeliveryFailover,
    postVerify as unknown as PostVerifyReports,
    fraudGuard as unknown as FraudGuard,
  );
  /** The id the service gave the new code (as reserved). */
  const reservedId = (): string => verifications.reserveSend.mock.calls[0][0].id;
  /** Every send record the service handed to the writer. */
  const written = (): SendRecord[] => records.write.mock.calls.map(([record]) => record);
  return {
    sut,
    verifications,
    records,
    fraudGuard,
    phones,
    hasher,
    templates,
    sms,
    auth,
    metrics,
    reservedId,
    written,
    failover,
    postVerify,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected the promise to reject');
}

describe(VerificationService.name, () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('requestCode', () => {
    it('reserves the hash of a new code and hands the rendered message to the SMS dispatcher', async () => {
      const { sut, verifications, hasher, templates, sms, phones, reservedId, fraudGuard } = createSut();

      const result = await sut.requestCode({ phoneNumber: '87001234567', resend: false }, CLIENT);

      expect(phones.parse).toHaveBeenCalledWith('87001234567');
      expect(phones.assertSmsRecipient).toHaveBeenCalledWith(MOBILE);
      expect(reservedId()).toMatch(UUID);
      expect(verifications.reserveSend).toHaveBeenCalledTimes(1);
      expect(verifications.reserveSend).toHaveBeenCalledWith({
        id: reservedId(),
        phoneNumber: MOBILE.e164,
        country: 'KZ',
        codeHash: `hmac(${reservedId()}:${GENERATED_CODE})`,
        locale: 'ru',
        isTestNumber: false,
        ip: CLIENT.ip,
        userAgent: CLIENT.userAgent,
        action: 'send',
        fraudBypass: null,
        price: '0.012',
      });
      expect(fraudGuard.estimatedPrice).toHaveBeenCalledWith('KZ', undefined);
      expect(hasher.hash).toHaveBeenCalledWith(reservedId(), GENERATED_CODE);
      expect(templates.render).toHaveBeenCalledWith('ru', { code: GENERATED_CODE, ttlSeconds: 300 });
      expect(sms.dispatch).toHaveBeenCalledWith(
        {
          to: MOBILE.e164,
          text: `Your code: ${GENERATED_CODE}`,
          otp: { code: GENERATED_CODE, ttlSeconds: 300, verificationId: reservedId() },
        },
        'KZ',
        { channel: undefined },
      );
      expect(result).toEqual({
        verificationId: reservedId(),
        phoneNumber: MOBILE.e164,
        smsId: 'alpha-msg-1',
        channel: DeliveryChannel.Sms,
        expiresIn: 300,
        resendAfter: 60,
        debugCode: GENERATED_CODE,
      });
    });

    it('reserves a resend as such, in the requested locale, and announces the resend_after the reservation gave', async () => {
      const { sut, verifications, templates } = createSut();
      verifications.reserveSend.mockResolvedValue({ result: 'RESERVED', resendAfter: 120, fraud: null });

      const result = await sut.requestCode({ phoneNumber: MOBILE.e164, locale: 'kk', resend: true }, CLIENT);

      expect(verifications.reserveSend).toHaveBeenCalledWith(
        expect.objectContaining({ action: 'resend', locale: 'kk' }),
      );
      expect(templates.render).toHaveBeenCalledWith('kk', { code: GENERATED_CODE, ttlSeconds: 300 });
      expect(result.resendAfter).toBe(120);
    });

    it('records the accepted send on the new code, with its attempt and its code_sent audit row', async () => {
      const { sut, records, reservedId, written } = createSut();

      await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);

      expect(records.write).toHaveBeenCalledTimes(1);
      const accepted = attempt({ provider: 'alpha', messageId: 'alpha-msg-1', status: DeliveryStatus.Sent });
      expect(written()).toEqual([
        {
          kind: 'sent',
          verificationId: reservedId(),
          phoneNumber: MOBILE.e164,
          accepted,
          attempts: [accepted],
          events: [
            row({
              type: AuditEventType.CodeSent,
              outcome: 'success',
              verification_id: reservedId(),
              provider: 'alpha',
              details: { message_id: 'alpha-msg-1', attempts: 1 },
            }),
          ],
        },
      ]);
    });

    it('turns a failover into one send record: every attempt, a code_send_failed row per failure, then code_sent', async () => {
      const { sut, sms, metrics, reservedId, written } = createSut();
      const timeout = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer in 5000 ms');
      const failed = attempt({
        provider: 'alpha',
        errorCode: 'timeout',
        errorMessage: timeout.message,
        error: timeout,
      });
      const accepted = attempt({ provider: 'beta', messageId: 'beta-msg-9', status: DeliveryStatus.Sent });
      sms.dispatch.mockResolvedValue({ attempts: [failed, accepted], accepted });

      const result = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);

      expect(result.smsId).toBe('beta-msg-9');
      expect(written()).toEqual([
        {
          kind: 'sent',
          verificationId: reservedId(),
          phoneNumber: MOBILE.e164,
          accepted,
          attempts: [failed, accepted],
          events: [
            row({
              type: AuditEventType.CodeSendFailed,
              outcome: 'failure',
              verification_id: reservedId(),
              provider: 'alpha',
              details: {
                error_code: ErrorCode.SmsProviderUnavailable,
                provider_code: 'timeout',
                message: 'alpha did not answer in 5000 ms',
              },
            }),
            row({
              type: AuditEventType.CodeSent,
              outcome: 'success',
              verification_id: reservedId(),
              provider: 'beta',
              details: { message_id: 'beta-msg-9', attempts: 2 },
            }),
          ],
        },
      ]);
      expect(metrics.codeSent.mock.calls).toEqual([['beta', 'sms']]);
    });

    describe('a requested channel', () => {
      it('hands the code to the links of that channel and answers with the channel that took it', async () => {
        const { sut, sms, metrics } = createSut();
        const accepted = attempt({
          provider: 'tg',
          channel: DeliveryChannel.Telegram,
          messageId: 'tg-1',
          status: DeliveryStatus.Sent,
        });
        sms.dispatch.mockResolvedValueOnce({ attempts: [accepted], accepted });
        const result = await sut.requestCode(
          { phoneNumber: MOBILE.e164, channel: DeliveryChannel.Telegram, resend: false },
          CLIENT,
        );
        expect(sms.dispatch).toHaveBeenCalledWith(expect.anything(), 'KZ', { channel: DeliveryChannel.Telegram });
        expect(result).toMatchObject({ smsId: 'tg-1', channel: DeliveryChannel.Telegram });
        expect(metrics.codeSent.mock.calls).toEqual([['tg', 'telegram']]);
      });

      it('answers CHANNEL_UNAVAILABLE before reserving anything when the chain has no link of it', async () => {
        const { sut, sms, verifications, records } = createSut();
        const error = await rejectionOf(
          sut.requestCode({ phoneNumber: MOBILE.e164, channel: DeliveryChannel.WhatsApp, resend: false }, CLIENT),
        );
        expect(error.code).toBe(ErrorCode.ChannelUnavailable);
        expect(error.details).toEqual({ channel: 'whatsapp', country: 'KZ' });
        expect(sms.chainFor).toHaveBeenCalledWith('KZ', DeliveryChannel.WhatsApp);
        expect(verifications.reserveSend).not.toHaveBeenCalled();
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(records.write).not.toHaveBeenCalled();
      });

      it('is ignored for a test number, which answers channel sms', async () => {
        const { sut, sms } = createSut();
        const result = await sut.requestCode(
          { phoneNumber: TEST_NUMBER.e164, channel: DeliveryChannel.WhatsApp, resend: false },
          CLIENT,
        );
        expect(result).toMatchObject({ smsId: null, channel: DeliveryChannel.Sms });
        expect(sms.chainFor).not.toHaveBeenCalled();
      });
    });

    describe('a test number', () => {
      it('is never handed to the SMS dispatcher and answers sms_id null with its fixed code', async () => {
        const { sut, sms, hasher, verifications, phones, reservedId, written } = createSut();

        const result = await sut.requestCode({ phoneNumber: TEST_NUMBER.e164, resend: false }, CLIENT);

        expect(phones.assertSmsRecipient).not.toHaveBeenCalled();
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(hasher.generate).not.toHaveBeenCalled();
        expect(result).toMatchObject({ smsId: null, debugCode: TEST_NUMBER_CODE, phoneNumber: TEST_NUMBER.e164 });
        expect(verifications.reserveSend).toHaveBeenCalledWith(
          expect.objectContaining({ isTestNumber: true, codeHash: `hmac(${reservedId()}:${TEST_NUMBER_CODE})` }),
        );
        expect(written()).toEqual([
          {
            kind: 'sent',
            verificationId: reservedId(),
            phoneNumber: TEST_NUMBER.e164,
            accepted: { provider: 'test_number', messageId: null, status: DeliveryStatus.Delivered },
            attempts: [],
            events: [
              row({
                type: AuditEventType.CodeSent,
                outcome: 'success',
                phone_number: TEST_NUMBER.e164,
                verification_id: reservedId(),
                provider: 'test_number',
                details: { test_number: true },
              }),
            ],
          },
        ]);
      });
    });

    describe('when no provider accepts the message', () => {
      const outage = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer in 5000 ms');
      const failedDispatch = (): SmsDispatchResult => ({
        attempts: [attempt({ provider: 'alpha', errorCode: 'timeout', errorMessage: outage.message, error: outage })],
        error: outage,
      });

      it('throws the SmsProviderError', async () => {
        const { sut, sms } = createSut();
        sms.dispatch.mockResolvedValue(failedDispatch());
        await expect(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT)).rejects.toBe(outage);
      });

      it('records send_failed (the code becomes failed, so it does not count toward the limits) with the attempts and a code_send_failed row', async () => {
        const { sut, sms, records, reservedId, written } = createSut();
        const dispatched = failedDispatch();
        sms.dispatch.mockResolvedValue(dispatched);

        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);

        // The attempts, the failed state and the audit rows go to the writer as one record.
        expect(records.write).toHaveBeenCalledTimes(1);
        expect(written()).toEqual([
          {
            kind: 'send_failed',
            verificationId: reservedId(),
            phoneNumber: MOBILE.e164,
            attempts: dispatched.attempts,
            events: [
              row({
                type: AuditEventType.CodeSendFailed,
                outcome: 'failure',
                verification_id: reservedId(),
                provider: 'alpha',
                details: {
                  error_code: ErrorCode.SmsProviderUnavailable,
                  provider_code: 'timeout',
                  message: outage.message,
                },
              }),
            ],
          },
        ]);
      });

      it('answers SMS_PROVIDER_UNAVAILABLE when no provider is configured, after recording send_failed', async () => {
        const { sut, sms, written } = createSut();
        sms.dispatch.mockResolvedValue({ attempts: [] });

        const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT));

        expect(error.code).toBe(ErrorCode.SmsProviderUnavailable);
        expect(written()).toEqual([expect.objectContaining({ kind: 'send_failed', attempts: [], events: [] })]);
      });
    });

    describe('when the database fails', () => {
      it('after the provider accepted: still answers with the sms_id when the record is deferred, and warns', async () => {
        const { sut, records, reservedId } = createSut();
        records.write.mockResolvedValueOnce('deferred');

        const result = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);

        expect(result.smsId).toBe('alpha-msg-1');
        expect(records.write).toHaveBeenCalledWith(
          expect.objectContaining({ kind: 'sent', verificationId: reservedId() }),
        );
        expect(warn).toHaveBeenCalledWith(expect.stringContaining(`send record of verification ${reservedId()}`));
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('pending'));
      });

      it('does not warn when the record was written', async () => {
        const { sut } = createSut();
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);
        expect(warn).not.toHaveBeenCalled();
      });

      it('when the reservation may have committed (no answer from the server): rethrows, sends nothing and voids the code', async () => {
        const { sut, verifications, sms, reservedId, written } = createSut();
        const lost = new Error('Connection terminated unexpectedly');
        verifications.reserveSend.mockRejectedValueOnce(lost);

        await expect(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT)).rejects.toBe(lost);

        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(written()).toEqual([
          {
            kind: 'reservation_voided',
            verificationId: reservedId(),
            phoneNumber: MOBILE.e164,
            events: [
              row({
                type: AuditEventType.CodeSendFailed,
                outcome: 'failure',
                verification_id: reservedId(),
                details: { reason: 'request_failed', sent: false },
              }),
            ],
          },
        ]);
      });

      it('when the server reported the reservation failed: rethrows and writes nothing (no code is left)', async () => {
        const { sut, verifications, sms, records } = createSut();
        const refused = Object.assign(new Error('could not serialize access due to concurrent update'), {
          severity: 'ERROR',
          code: '40001',
        });
        verifications.reserveSend.mockRejectedValueOnce(refused);

        await expect(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT)).rejects.toBe(refused);

        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(records.write).not.toHaveBeenCalled();
      });
    });

    describe('refusals', () => {
      it('answers PHONE_LOCKED with the time left by the database clock, and sends nothing', async () => {
        const { sut, verifications, sms, records } = createSut();
        const lockedUntil = new Date(NOW.getTime() + 1_799_200);
        verifications.reserveSend.mockResolvedValue({
          result: 'PHONE_LOCKED',
          now: NOW,
          lockedUntil,
          retryAfter: 1800,
        });

        const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT));

        expect(error.code).toBe(ErrorCode.PhoneLocked);
        expect(error.retryAfterSeconds).toBe(1800);
        expect(error.details).toEqual({ retry_after: 1800, locked_until: lockedUntil.toISOString() });
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(records.write).not.toHaveBeenCalled();
      });

      it('answers RESEND_TOO_SOON during the cooldown with the seconds left, and sends nothing', async () => {
        const { sut, verifications, sms, records } = createSut();
        verifications.reserveSend.mockResolvedValue({
          result: 'RESEND_TOO_SOON',
          retryAfter: 50,
          limit: 'phone_cooldown',
        });

        const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: true }, CLIENT));

        expect(error).toMatchObject({
          code: ErrorCode.ResendTooSoon,
          retryAfterSeconds: 50,
          details: { retry_after: 50, limit: 'phone_cooldown' },
        });
        expect(error.message).toContain('50 s');
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(records.write).not.toHaveBeenCalled();
      });

      it.each(['phone_hour', 'phone_day'])('answers RATE_LIMITED at the %s cap, and sends nothing', async (limit) => {
        const { sut, verifications, sms, records } = createSut();
        verifications.reserveSend.mockResolvedValue({ result: 'RATE_LIMITED', retryAfter: 1200, limit });

        const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT));

        expect(error).toMatchObject({
          code: ErrorCode.RateLimited,
          retryAfterSeconds: 1200,
          details: { retry_after: 1200, limit },
        });
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(records.write).not.toHaveBeenCalled();
      });
    });

    describe('debug code', () => {
      it.each<[string, Partial<AppConfig>]>([
        ['SMS_EXPOSE_CODE is false', { SMS_EXPOSE_CODE: false }],
        ['NODE_ENV is production, even with SMS_EXPOSE_CODE', { NODE_ENV: 'production', SMS_EXPOSE_CODE: true }],
      ])('is absent when %s', async (_, config) => {
        const { sut } = createSut(config);
        const sent = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);
        const testNumber = await sut.requestCode({ phoneNumber: TEST_NUMBER.e164, resend: false }, CLIENT);
        expect(sent).not.toHaveProperty('debugCode');
        expect(testNumber).not.toHaveProperty('debugCode');
      });

      it('is the code that was hashed when SMS_EXPOSE_CODE is on outside production', async () => {
        const { sut, hasher } = createSut({ NODE_ENV: 'test', SMS_EXPOSE_CODE: true });
        const result = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);
        expect(result.debugCode).toBe(GENERATED_CODE);
        expect(hasher.hash).toHaveBeenCalledWith(result.verificationId, result.debugCode);
      });
    });

    describe('metrics', () => {
      it('counts a code sent by the provider that accepted it, or as test_number', async () => {
        const { sut, metrics } = createSut();
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);
        await sut.requestCode({ phoneNumber: TEST_NUMBER.e164, resend: false }, CLIENT);
        expect(metrics.codeSent.mock.calls).toEqual([
          ['alpha', 'sms'],
          ['test_number', 'sms'],
        ]);
      });

      it('counts no code sent when no provider accepts it, nor when the send is refused', async () => {
        const { sut, sms, verifications, metrics } = createSut();
        const outage = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer');
        sms.dispatch.mockResolvedValue({ attempts: [attempt({ error: outage })], error: outage });
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);
        verifications.reserveSend.mockResolvedValue({
          result: 'PHONE_LOCKED',
          now: NOW,
          lockedUntil: new Date(NOW.getTime() + 60_000),
          retryAfter: 60,
        });
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);
        expect(metrics.codeSent).not.toHaveBeenCalled();
      });
    });
  });

  describe('delivery timer', () => {
    it('starts none when no link has a delivery timeout (the default: nothing new on the send path)', async () => {
      const { sut, failover } = createSut();

      await sut.requestCode({ phoneNumber: '87001234567', resend: false }, CLIENT);

      expect(failover.afterAccepted).not.toHaveBeenCalled();
    });

    it("starts the accepting link's timer after the record of the send, with the code and text it must resend", async () => {
      const { sut, failover, sms, records, reservedId } = createSut({}, { failoverEnabled: true });
      const refused = attempt({ provider: 'alpha', errorCode: 'PHONE_NUMBER_NOT_AVAILABLE' });
      const accepted = attempt({ provider: 'beta', messageId: 'beta-msg-1', status: DeliveryStatus.Sent });
      sms.dispatch.mockResolvedValue({ attempts: [refused, accepted], accepted });
      failover.afterAccepted.mockImplementation(() => {
        expect(records.write).toHaveBeenCalledTimes(1);
        return Promise.resolve();
      });

      await sut.requestCode({ phoneNumber: '87001234567', resend: false }, CLIENT);

      expect(failover.afterAccepted).toHaveBeenCalledWith({
        verificationId: reservedId(),
        country: 'KZ',
        linkIndex: 1,
        provider: 'beta',
        messageId: 'beta-msg-1',
        code: GENERATED_CODE,
        text: `Your code: ${GENERATED_CODE}`,
      });
    });

    it('still answers when the timer could not be enqueued', async () => {
      const { sut, failover } = createSut({}, { failoverEnabled: true });
      failover.afterAccepted.mockRejectedValue(new Error('queue down'));

      const result = await sut.requestCode({ phoneNumber: '87001234567', resend: false }, CLIENT);

      expect(result.smsId).toBe('alpha-msg-1');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('not started'));
    });
  });

  describe('verifyCode', () => {
    const PENDING = { id: 'verification-1', codeHash: `hmac(verification-1:${GENERATED_CODE})` };

    it('checks the code against the pending one and writes the outcome with the new session', async () => {
      const { sut, verifications, hasher, phones } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      verifications.writeVerify.mockResolvedValue(approved(PENDING.id));

      await sut.verifyCode('87001234567', GENERATED_CODE, CLIENT);

      expect(phones.parse).toHaveBeenCalledWith('87001234567');
      expect(verifications.readPending).toHaveBeenCalledWith(MOBILE.e164, { fresh: false });
      expect(hasher.matches).toHaveBeenCalledWith(PENDING.codeHash, PENDING.id, GENERATED_CODE);
      expect(verifications.writeVerify).toHaveBeenCalledTimes(1);
      expect(verifications.writeVerify).toHaveBeenCalledWith({
        phoneNumber: MOBILE.e164,
        readId: PENDING.id,
        matched: true,
        sessionId: CREDENTIALS.sessionId,
        refreshTokenHash: CREDENTIALS.refreshTokenHash,
        ip: CLIENT.ip,
        userAgent: CLIENT.userAgent,
      });
    });

    it('hands an approved code to the post-verify reports (off the request path)', async () => {
      const { sut, verifications, postVerify } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      verifications.writeVerify.mockResolvedValue(approved(PENDING.id));

      await sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT);

      expect(postVerify.afterVerified).toHaveBeenCalledWith(PENDING.id, 'KZ', GENERATED_CODE);
    });

    it('answers an approval with the login of the session it created', async () => {
      const { sut, verifications, auth, metrics } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      verifications.writeVerify.mockResolvedValue(approved(PENDING.id));

      const login = await sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT);

      expect(auth.loginCredentials).toHaveBeenCalledTimes(1);
      expect(auth.issuedLogin).toHaveBeenCalledTimes(1);
      const [credentials, user, isNew] = auth.issuedLogin.mock.calls[0];
      expect(credentials).toBe(CREDENTIALS);
      expect(user).toBeInstanceOf(User);
      expect(user).toEqual({
        id: 'user-1',
        phoneNumber: MOBILE.e164,
        createdAt: USER_CREATED_AT,
        lastLoginAt: NOW,
      });
      expect(isNew).toBe(false);
      expect(login).toEqual({
        user,
        isNew: false,
        tokens: {
          accessToken: 'access-token-of-session-1',
          refreshToken: CREDENTIALS.refreshToken,
          expiresIn: 900,
          sessionId: CREDENTIALS.sessionId,
        },
        verificationId: PENDING.id,
        phoneNumber: MOBILE.e164,
      });
      expect(metrics.codeVerified.mock.calls).toEqual([['alpha']]);
      expect(metrics.verifyFailed).not.toHaveBeenCalled();
    });

    it('passes matched false when the hasher says the code is wrong', async () => {
      const { sut, verifications, hasher } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      verifications.writeVerify.mockResolvedValue(verifyRow({ result: 'CODE_INVALID', attempts_left: 4 }));

      await sut.verifyCode(MOBILE.e164, '000000', CLIENT).catch(() => undefined);

      expect(hasher.matches).toHaveBeenCalledWith(PENDING.codeHash, PENDING.id, '000000');
      expect(verifications.writeVerify).toHaveBeenCalledWith(
        expect.objectContaining({ readId: PENDING.id, matched: false }),
      );
    });

    it('passes matched as CodeHasher.matches answers it, whatever the code looks like', async () => {
      const { sut, verifications, hasher } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      hasher.matches.mockReturnValueOnce(false);

      await sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT).catch(() => undefined);

      expect(verifications.writeVerify).toHaveBeenCalledWith(expect.objectContaining({ matched: false }));
    });

    it('writes readId null and matched false, without checking a hash, when nothing is pending', async () => {
      const { sut, verifications, hasher } = createSut();
      verifications.readPending.mockResolvedValue(null);

      const error = await rejectionOf(sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT));

      expect(error.code).toBe(ErrorCode.NoActiveCode);
      expect(hasher.matches).not.toHaveBeenCalled();
      expect(verifications.writeVerify).toHaveBeenCalledWith(expect.objectContaining({ readId: null, matched: false }));
    });

    it('reads again when the pending code changed between the read and the write (STALE)', async () => {
      const { sut, verifications, hasher, auth } = createSut();
      const replacement = { id: 'verification-2', codeHash: 'hmac(verification-2:777777)' };
      verifications.readPending.mockResolvedValueOnce(PENDING).mockResolvedValueOnce(replacement);
      verifications.writeVerify
        .mockResolvedValueOnce(verifyRow({ result: 'STALE' }))
        .mockResolvedValueOnce(approved(replacement.id));

      const login = await sut.verifyCode(MOBILE.e164, '777777', CLIENT);

      // The second read skips what this instance remembers: it is what went stale.
      expect(verifications.readPending.mock.calls).toEqual([
        [MOBILE.e164, { fresh: false }],
        [MOBILE.e164, { fresh: true }],
      ]);
      expect(verifications.writeVerify.mock.calls.map(([request]) => [request.readId, request.matched])).toEqual([
        [PENDING.id, false],
        [replacement.id, true],
      ]);
      expect(hasher.matches).toHaveBeenLastCalledWith(replacement.codeHash, replacement.id, '777777');
      // One login: the same session id and token offered to each write.
      expect(auth.loginCredentials).toHaveBeenCalledTimes(1);
      expect(
        verifications.writeVerify.mock.calls.every(([request]) => request.sessionId === CREDENTIALS.sessionId),
      ).toBe(true);
      expect(login.verificationId).toBe(replacement.id);
    });

    it('gives up after 3 reads that all turned STALE, with an internal error (not a refusal)', async () => {
      const { sut, verifications, metrics, auth } = createSut();
      verifications.readPending.mockResolvedValue(PENDING);
      verifications.writeVerify.mockResolvedValue(verifyRow({ result: 'STALE' }));

      const failure = await sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(DomainError);
      expect((failure as Error).message).toContain('STALE');
      expect((failure as Error).message).not.toContain(MOBILE.e164);
      expect(verifications.readPending).toHaveBeenCalledTimes(3);
      expect(verifications.writeVerify).toHaveBeenCalledTimes(3);
      expect(auth.issuedLogin).not.toHaveBeenCalled();
      expect(metrics.codeVerified).not.toHaveBeenCalled();
    });

    describe('refusals', () => {
      it.each<[string, VerifyWriteRow, ErrorCode, Record<string, unknown>]>([
        [
          'CODE_INVALID',
          verifyRow({ result: 'CODE_INVALID', attempts_left: 2 }),
          ErrorCode.CodeInvalid,
          { attempts_left: 2 },
        ],
        [
          'MAX_ATTEMPTS_REACHED',
          verifyRow({ result: 'MAX_ATTEMPTS_REACHED', attempts_left: 0 }),
          ErrorCode.MaxAttemptsReached,
          { attempts_left: 0 },
        ],
        ['CODE_EXPIRED', verifyRow({ result: 'CODE_EXPIRED' }), ErrorCode.CodeExpired, {}],
        ['NO_ACTIVE_CODE', verifyRow({ result: 'NO_ACTIVE_CODE' }), ErrorCode.NoActiveCode, {}],
      ])('maps %s to its DomainError and counts the failure', async (_, answer, code, details) => {
        const { sut, verifications, metrics, auth } = createSut();
        verifications.readPending.mockResolvedValue(PENDING);
        verifications.writeVerify.mockResolvedValue(answer);

        const error = await rejectionOf(sut.verifyCode(MOBILE.e164, '000000', CLIENT));

        expect(error.code).toBe(code);
        expect(error.details).toEqual(details);
        expect(error.retryAfterSeconds).toBeUndefined();
        expect(metrics.verifyFailed.mock.calls).toEqual([[code.toLowerCase()]]);
        expect(metrics.codeVerified).not.toHaveBeenCalled();
        expect(auth.issuedLogin).not.toHaveBeenCalled();
      });

      it('maps PHONE_LOCKED to retry_after and locked_until by the database clock, with Retry-After', async () => {
        const { sut, verifications, metrics } = createSut();
        // db_now is not this process's clock: the time left is counted from it, rounded up.
        const dbNow = new Date('2026-03-01T09:30:00.000Z');
        const lockedUntil = new Date(dbNow.getTime() + 3_599_400);
        verifications.readPending.mockResolvedValue(PENDING);
        verifications.writeVerify.mockResolvedValue(
          verifyRow({ result: 'PHONE_LOCKED', db_now: dbNow, locked_until: lockedUntil }),
        );

        const error = await rejectionOf(sut.verifyCode(MOBILE.e164, GENERATED_CODE, CLIENT));

        expect(error.code).toBe(ErrorCode.PhoneLocked);
        expect(error.details).toEqual({ retry_after: 3600, locked_until: lockedUntil.toISOString() });
        expect(error.retryAfterSeconds).toBe(3600);
        expect(metrics.verifyFailed.mock.calls).toEqual([['phone_locked']]);
        expect(warn).not.toHaveBeenCalled();
      });

      it('warns, with the number masked, when this wrong code locked the phone', async () => {
        const { sut, verifications } = createSut();
        verifications.readPending.mockResolvedValue(PENDING);
        verifications.writeVerify.mockResolvedValue(
          verifyRow({
            result: 'PHONE_LOCKED',
            locked_until: new Date(NOW.getTime() + 3_600_000),
            failures: 20,
            verification_id: PENDING.id,
          }),
        );

        const error = await rejectionOf(sut.verifyCode(MOBILE.e164, '000000', CLIENT));

        expect(error.code).toBe(ErrorCode.PhoneLocked);
        expect(warn).toHaveBeenCalledTimes(1);
        const line = String(warn.mock.calls[0][0]);
        expect(line).toContain('20 wrong codes');
        expect(line).toContain('+7******4567');
        expect(line).not.toContain(MOBILE.e164);
      });
    });
  });
});
