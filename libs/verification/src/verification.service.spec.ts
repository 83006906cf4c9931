import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventType, type AuditService } from '@app/audit';
import type { AuthService } from '@app/auth';
import { type ClientInfo, DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import type { SmsMetrics } from '@app/metrics';
import type { PhoneNumber, PhoneService } from '@app/phone';
import {
  DeliveryStatus,
  type MessageTemplates,
  type SmsAttempt,
  type SmsDispatcher,
  type SmsDispatchResult,
  SmsProviderError,
} from '@app/sms';
import type { CodeHasher } from './code-hasher';
import type { SendHistory } from './send-policy';
import type { TestNumbers } from './test-numbers.service';
import { SendRecordWriter } from './send-record-writer';
import { VerificationService } from './verification.service';
import type { VerificationRepository } from './verification.repository';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const CLIENT: ClientInfo = { ip: '203.0.113.7', userAgent: 'unit-test' };
const MOBILE: PhoneNumber = { e164: '+77001234567', country: 'KZ', canReceiveSms: true };
const TEST_NUMBER: PhoneNumber = { e164: '+77000000001', country: 'KZ', canReceiveSms: true };
const TEST_NUMBER_CODE = '111111';
const GENERATED_CODE = '482913';

const DEFAULT_CONFIG: Partial<AppConfig> = {
  NODE_ENV: 'development',
  OTP_TTL_SECONDS: 300,
  OTP_MAX_ATTEMPTS: 5,
  PHONE_MAX_FAILURES: 20,
  PHONE_LOCK_SECONDS: 3600,
  SMS_DEFAULT_LOCALE: 'ru',
  SMS_EXPOSE_CODE: true,
  RESEND_COOLDOWN_SECONDS: 60,
  PHONE_SEND_LIMIT_HOUR: 5,
  PHONE_SEND_LIMIT_DAY: 10,
};

const noHistory = (): SendHistory & { now: Date; lockedUntil: Date | null } => ({
  now: NOW,
  lockedUntil: null,
  sendsLastHour: 0,
  sendsLastDay: 0,
  lastSentAt: null,
  oldestInHourAt: null,
  oldestInDayAt: null,
});

function attempt(overrides: Partial<SmsAttempt>): SmsAttempt {
  return {
    provider: 'alpha',
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

function createSut(config: Partial<AppConfig> = {}) {
  const manager = { name: 'transaction manager', query: jest.fn().mockResolvedValue([]) } as unknown as EntityManager;
  const dataSource = {
    transaction: jest.fn((work: (m: EntityManager) => Promise<unknown>) => work(manager)),
    query: jest.fn().mockResolvedValue([]),
  };
  const verifications = {
    lockPhoneForTransaction: jest.fn().mockResolvedValue(undefined),
    sendHistory: jest.fn().mockResolvedValue(noHistory()),
    closePending: jest.fn().mockResolvedValue([]),
    insertPendingStatement: jest.fn((fields: { id: string }) => ['insertPending', [fields]]),
    sentRecordStatement: jest.fn((...args: unknown[]) => ['sentRecord', args]),
    sendFailedRecordStatement: jest.fn((...args: unknown[]) => ['sendFailedRecord', args]),
    voidReservationStatement: jest.fn((...args: unknown[]) => ['voidReservation', args]),
  };
  const phones = {
    parse: jest.fn((input: string) => (input === TEST_NUMBER.e164 ? TEST_NUMBER : MOBILE)),
    assertSmsRecipient: jest.fn(),
  };
  const hasher = {
    generate: jest.fn().mockReturnValue(GENERATED_CODE),
    hash: jest.fn((id: string, code: string) => `hmac(${id}:${code})`),
  };
  const testNumbers = {
    fixedCodeFor: jest.fn((e164: string) => (e164 === TEST_NUMBER.e164 ? TEST_NUMBER_CODE : undefined)),
  };
  const templates = { render: jest.fn((_locale: string, values: { code: string }) => `Your code: ${values.code}`) };
  const sms = { dispatch: jest.fn().mockResolvedValue(acceptedBy('alpha', 'alpha-msg-1')) };
  const audit = {
    record: jest.fn().mockResolvedValue(undefined),
    recordMany: jest.fn().mockResolvedValue(undefined),
    insertStatement: jest.fn((events: unknown[]) => ['audit', events]),
  };
  const auth = { issueLogin: jest.fn() };
  const metrics = {
    codeSent: jest.fn(),
    codeVerified: jest.fn(),
    codeSendFailed: jest.fn(),
    verifyFailed: jest.fn(),
    providerCall: jest.fn(),
    sendRecordRetried: jest.fn(),
    sendRecordsWaiting: jest.fn(),
  };
  const values: Partial<AppConfig> = { ...DEFAULT_CONFIG, ...config };

  const sut = new VerificationService(
    dataSource as unknown as DataSource,
    verifications as unknown as VerificationRepository,
    phones as unknown as PhoneService,
    hasher as unknown as CodeHasher,
    testNumbers as unknown as TestNumbers,
    templates as unknown as MessageTemplates,
    sms as unknown as SmsDispatcher,
    audit as unknown as AuditService,
    auth as unknown as AuthService,
    { get: (key: keyof AppConfig) => values[key] } as unknown as ConfigService<AppConfig, true>,
    metrics as unknown as SmsMetrics,
    new SendRecordWriter(dataSource, metrics as unknown as SmsMetrics),
  );
  /** The id the service gave the new code (as inserted). */
  const insertedId = (): string => verifications.insertPendingStatement.mock.calls[0][0].id;
  return { sut, manager, dataSource, verifications, phones, hasher, templates, sms, audit, metrics, insertedId };
}

/** Every audit event recorded, through `record`, `recordMany` or a batched `insertStatement`. */
function auditedEvents(audit: {
  record: jest.Mock;
  recordMany: jest.Mock;
  insertStatement: jest.Mock;
}): Array<Record<string, unknown>> {
  return [
    ...audit.record.mock.calls.map(([event]) => event),
    ...audit.recordMany.mock.calls.flatMap(([events]) => events),
    ...audit.insertStatement.mock.calls.flatMap(([events]) => events),
  ];
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
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('requestCode', () => {
    it('stores the hash of a new code and hands the rendered message to the SMS dispatcher', async () => {
      const { sut, verifications, hasher, templates, sms, phones, insertedId } = createSut();

      const result = await sut.requestCode({ phoneNumber: '87001234567', resend: false }, CLIENT);

      expect(phones.assertSmsRecipient).toHaveBeenCalledWith(MOBILE);
      expect(verifications.insertPendingStatement).toHaveBeenCalledWith(
        expect.objectContaining({
          phoneNumber: MOBILE.e164,
          codeHash: `hmac(${insertedId()}:${GENERATED_CODE})`,
          isTestNumber: false,
          ttlSeconds: 300,
        }),
      );
      expect(hasher.hash).toHaveBeenCalledWith(insertedId(), GENERATED_CODE);
      expect(templates.render).toHaveBeenCalledWith('ru', { code: GENERATED_CODE, ttlSeconds: 300 });
      expect(sms.dispatch).toHaveBeenCalledWith({ to: MOBILE.e164, text: `Your code: ${GENERATED_CODE}` }, 'KZ');
      expect(result).toEqual({
        verificationId: insertedId(),
        phoneNumber: MOBILE.e164,
        smsId: 'alpha-msg-1',
        expiresIn: 300,
        resendAfter: 60,
        debugCode: GENERATED_CODE,
      });
    });

    it('records the accepted send on the new code', async () => {
      const { sut, verifications, insertedId } = createSut();
      await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);
      expect(verifications.sentRecordStatement).toHaveBeenCalledWith(
        insertedId(),
        expect.objectContaining({ provider: 'alpha', messageId: 'alpha-msg-1', status: DeliveryStatus.Sent }),
        [expect.objectContaining({ provider: 'alpha', messageId: 'alpha-msg-1' })],
        expect.anything(),
      );
      expect(verifications.sendFailedRecordStatement).not.toHaveBeenCalled();
    });

    it('announces the doubled cooldown after a resend', async () => {
      const { sut, verifications } = createSut();
      verifications.sendHistory.mockResolvedValue({
        ...noHistory(),
        sendsLastHour: 1,
        sendsLastDay: 1,
        lastSentAt: new Date(NOW.getTime() - 90_000),
        oldestInHourAt: new Date(NOW.getTime() - 90_000),
        oldestInDayAt: new Date(NOW.getTime() - 90_000),
      });
      const result = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: true }, CLIENT);
      expect(result.resendAfter).toBe(120);
    });

    describe('a test number', () => {
      it('is never handed to the SMS dispatcher and answers sms_id null with its fixed code', async () => {
        const { sut, sms, hasher, verifications, phones, insertedId } = createSut();

        const result = await sut.requestCode({ phoneNumber: TEST_NUMBER.e164, resend: false }, CLIENT);

        expect(phones.assertSmsRecipient).not.toHaveBeenCalled();
        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(hasher.generate).not.toHaveBeenCalled();
        expect(result).toMatchObject({ smsId: null, debugCode: TEST_NUMBER_CODE, phoneNumber: TEST_NUMBER.e164 });
        expect(verifications.insertPendingStatement).toHaveBeenCalledWith(
          expect.objectContaining({ isTestNumber: true, codeHash: `hmac(${insertedId()}:${TEST_NUMBER_CODE})` }),
        );
        expect(verifications.sentRecordStatement).toHaveBeenCalledWith(
          insertedId(),
          { provider: 'test_number', messageId: null, status: DeliveryStatus.Delivered },
          [],
          expect.anything(),
        );
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

      it('marks the code as failed (so it does not count toward the limits) and keeps the attempts', async () => {
        const { sut, sms, verifications, insertedId } = createSut();
        const dispatched = failedDispatch();
        sms.dispatch.mockResolvedValue(dispatched);

        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);

        expect(verifications.sendFailedRecordStatement).toHaveBeenCalledWith(
          insertedId(),
          dispatched.attempts,
          expect.anything(),
        );
        expect(verifications.sentRecordStatement).not.toHaveBeenCalled();
      });

      it('records a code_send_failed audit event with the provider and its code', async () => {
        const { sut, sms, audit, dataSource, insertedId } = createSut();
        sms.dispatch.mockResolvedValue(failedDispatch());

        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);

        expect(auditedEvents(audit)).toContainEqual(
          expect.objectContaining({
            type: AuditEventType.CodeSendFailed,
            outcome: 'failure',
            provider: 'alpha',
            verificationId: insertedId(),
            phoneNumber: MOBILE.e164,
            details: expect.objectContaining({
              error_code: ErrorCode.SmsProviderUnavailable,
              provider_code: 'timeout',
            }),
          }),
        );
        expect(auditedEvents(audit)).not.toContainEqual(expect.objectContaining({ type: AuditEventType.CodeSent }));
        // The attempts, the failed state and the audit events go to the database as one statement.
        expect(dataSource.query).toHaveBeenCalledTimes(1);
        expect(dataSource.query.mock.calls[0][0]).toBe('sendFailedRecord');
      });
    });

    describe('when the database fails', () => {
      it('after the provider accepted: still answers with the sms_id and writes the record once it can', async () => {
        const { sut, dataSource, insertedId } = createSut();
        dataSource.query.mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));

        const result = await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT);

        expect(result.smsId).toBe('alpha-msg-1');
        const writer = (sut as unknown as { records: SendRecordWriter }).records;
        expect(writer.pendingCount).toBe(1);
        await writer.settled();
        expect(writer.pendingCount).toBe(0);
        expect(dataSource.query).toHaveBeenCalledTimes(2);
        expect(dataSource.query.mock.calls[1]).toEqual(dataSource.query.mock.calls[0]);
        expect(dataSource.query.mock.calls[1][1][0]).toBe(insertedId());
      });

      it('before any provider was tried: rethrows, sends nothing and voids the code the COMMIT may have left', async () => {
        const { sut, dataSource, sms, verifications, insertedId } = createSut();
        const lost = new Error('Connection terminated unexpectedly');
        dataSource.transaction.mockImplementationOnce(async (work: (m: EntityManager) => Promise<unknown>) => {
          await work({ query: jest.fn().mockResolvedValue([]) } as unknown as EntityManager);
          throw lost;
        });

        await expect(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT)).rejects.toBe(lost);

        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(verifications.voidReservationStatement).toHaveBeenCalledWith(insertedId(), expect.anything());
        expect(dataSource.query).toHaveBeenCalledTimes(1);
        expect(dataSource.query.mock.calls[0][0]).toBe('voidReservation');
      });

      it('inside the reservation: rethrows and writes nothing (the transaction rolled back, no code is left)', async () => {
        const { sut, dataSource, sms, verifications } = createSut();
        const lost = new Error('Connection terminated unexpectedly');
        verifications.sendHistory.mockRejectedValueOnce(lost);

        await expect(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT)).rejects.toBe(lost);

        expect(sms.dispatch).not.toHaveBeenCalled();
        expect(verifications.voidReservationStatement).not.toHaveBeenCalled();
        expect(dataSource.query).not.toHaveBeenCalled();
      });
    });

    describe('a locked phone', () => {
      const lockedUntil = new Date(NOW.getTime() + 1800_000);

      it('answers PHONE_LOCKED with the time left, and inserts nothing', async () => {
        const { sut, verifications, sms } = createSut();
        verifications.sendHistory.mockResolvedValue({ ...noHistory(), lockedUntil });

        const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT));

        expect(error.code).toBe(ErrorCode.PhoneLocked);
        expect(error.retryAfterSeconds).toBe(1800);
        expect(error.details).toMatchObject({ retry_after: 1800, locked_until: lockedUntil.toISOString() });
        expect(verifications.insertPendingStatement).not.toHaveBeenCalled();
        expect(verifications.closePending).not.toHaveBeenCalled();
        expect(sms.dispatch).not.toHaveBeenCalled();
      });

      it('audits the refusal', async () => {
        const { sut, verifications, audit } = createSut();
        verifications.sendHistory.mockResolvedValue({ ...noHistory(), lockedUntil });

        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);

        expect(auditedEvents(audit)).toEqual([
          expect.objectContaining({ outcome: 'failure', phoneNumber: MOBILE.e164 }),
        ]);
      });
    });

    it('refuses a resend during the cooldown with RESEND_TOO_SOON, inserting nothing', async () => {
      const { sut, verifications, sms, audit } = createSut();
      const tenSecondsAgo = new Date(NOW.getTime() - 10_000);
      verifications.sendHistory.mockResolvedValue({
        ...noHistory(),
        sendsLastHour: 1,
        sendsLastDay: 1,
        lastSentAt: tenSecondsAgo,
        oldestInHourAt: tenSecondsAgo,
        oldestInDayAt: tenSecondsAgo,
      });

      const error = await rejectionOf(sut.requestCode({ phoneNumber: MOBILE.e164, resend: true }, CLIENT));

      expect(error).toMatchObject({ code: ErrorCode.ResendTooSoon, retryAfterSeconds: 50 });
      expect(verifications.insertPendingStatement).not.toHaveBeenCalled();
      expect(sms.dispatch).not.toHaveBeenCalled();
      expect(auditedEvents(audit)).toEqual([
        expect.objectContaining({ type: AuditEventType.RateLimited, outcome: 'failure' }),
      ]);
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
        expect(metrics.codeSent.mock.calls).toEqual([['alpha'], ['test_number']]);
      });

      it('counts no code sent when no provider accepts it, nor when the send is refused', async () => {
        const { sut, sms, verifications, metrics } = createSut();
        const outage = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer');
        sms.dispatch.mockResolvedValue({ attempts: [attempt({ error: outage })], error: outage });
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);
        verifications.sendHistory.mockResolvedValue({ ...noHistory(), lockedUntil: new Date(NOW.getTime() + 60_000) });
        await sut.requestCode({ phoneNumber: MOBILE.e164, resend: false }, CLIENT).catch(() => undefined);
        expect(metrics.codeSent).not.toHaveBeenCalled();
      });
    });
  });
});
