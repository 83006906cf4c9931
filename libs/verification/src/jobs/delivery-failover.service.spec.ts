import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import type { JobDefinition, JobPayloadCipher, JobQueue } from '@app/jobs';
import type { SmsMetrics } from '@app/metrics';
import { DeliveryChannel, DeliveryStatus, type SmsAttempt, type SmsDispatcher, type SmsProvider } from '@app/sms';
import type { DeliveryTrackingService } from '../delivery/delivery-tracking.service';
import type { DeliveryFailoverRepository, FailoverState } from './delivery-failover.repository';
import { DELIVERY_FAILOVER_QUEUE, DeliveryFailover, type DeliveryFailoverJob } from './delivery-failover.service';

const provider = (name: string, channel: DeliveryChannel): SmsProvider => ({
  name,
  channel,
  send: () => Promise.reject(new Error('not called: the dispatcher is a fake')),
});

const TELEGRAM = provider('telegram', DeliveryChannel.Telegram);
const MOBIZON = provider('mobizon', DeliveryChannel.Sms);
const TWILIO = provider('twilio', DeliveryChannel.Sms);

function accepted(name: string, messageId: string): SmsAttempt {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    provider: name,
    channel: DeliveryChannel.Sms,
    cost: null,
    messageId,
    status: DeliveryStatus.Sent,
    errorCode: null,
    errorMessage: null,
    startedAt: at,
    finishedAt: at,
  };
}

const STATE: FailoverState = {
  phoneNumber: '+77011234567',
  country: 'KZ',
  valid: true,
  ttlSeconds: 250,
  linkStatus: 'sent',
  laterAttempts: 0,
};

function createSut(chain: SmsProvider[], timeout?: number) {
  let definition: JobDefinition<DeliveryFailoverJob> | undefined;
  const jobs = {
    define: jest.fn((d: JobDefinition<DeliveryFailoverJob>) => (definition = d)),
    send: jest.fn().mockResolvedValue(true),
  };
  const cipher = {
    seal: jest.fn((plain: string) => ({ iv: 'iv', data: Buffer.from(plain).toString('hex'), tag: 't' })),
    open: jest.fn((sealed: { data: string }) => Buffer.from(sealed.data, 'hex').toString()),
  };
  const sms = { chainFor: jest.fn(() => chain), dispatch: jest.fn() };
  const repository = { state: jest.fn().mockResolvedValue(STATE), record: jest.fn().mockResolvedValue(undefined) };
  const metrics = { deliveryFailover: jest.fn() };
  const tracking = { apply: jest.fn().mockResolvedValue('updated') };
  const sut = new DeliveryFailover(
    jobs as unknown as JobQueue,
    cipher as unknown as JobPayloadCipher,
    sms as unknown as SmsDispatcher,
    new Map(chain.map((p) => [p.name, p])),
    repository as unknown as DeliveryFailoverRepository,
    tracking as unknown as DeliveryTrackingService,
    metrics as unknown as SmsMetrics,
    { get: () => timeout } as unknown as ConfigService<AppConfig, true>,
  );
  const run = (job: DeliveryFailoverJob) => definition!.handler(job, { id: 'job-1', retryCount: 0 });
  return { sut, jobs, sms, repository, metrics, tracking, run, cipher };
}

const SEND = {
  verificationId: 'verification-1',
  country: 'KZ',
  linkIndex: 0,
  provider: 'telegram',
  messageId: 'tg-1',
  code: '123456',
  text: 'Your code: 123456',
};

describe(DeliveryFailover.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  describe('afterAccepted', () => {
    it('is off, and enqueues nothing, when no link has a timeout (SMS only, setting unset)', async () => {
      const { sut, jobs } = createSut([MOBIZON, TWILIO]);
      expect(sut.enabled).toBe(false);
      expect(jobs.define).toHaveBeenCalledWith(expect.objectContaining({ enabled: false }));
      await sut.afterAccepted({ ...SEND, provider: 'mobizon' });
      expect(jobs.send).not.toHaveBeenCalled();
    });

    it("enqueues the link's timer once per code and link, with the code sealed", async () => {
      const { sut, jobs, cipher } = createSut([TELEGRAM, MOBIZON]);

      await sut.afterAccepted(SEND);

      expect(cipher.seal).toHaveBeenCalledWith(
        JSON.stringify({ code: '123456', text: 'Your code: 123456' }),
        `${DELIVERY_FAILOVER_QUEUE}:verification-1`,
      );
      expect(jobs.send).toHaveBeenCalledWith(
        DELIVERY_FAILOVER_QUEUE,
        expect.objectContaining({ verificationId: 'verification-1', linkIndex: 0, messageId: 'tg-1' }),
        { startAfterSeconds: 20, onceKey: 'verification-1:0' },
      );
      expect(JSON.stringify(jobs.send.mock.calls[0][1])).not.toContain('123456');
    });

    it('enqueues nothing for the last link, or a link without a timeout', async () => {
      const { sut, jobs } = createSut([MOBIZON, TELEGRAM]);
      await sut.afterAccepted({ ...SEND, linkIndex: 1 });
      await sut.afterAccepted({ ...SEND, linkIndex: 0, provider: 'mobizon' });
      expect(jobs.send).not.toHaveBeenCalled();
    });
  });

  describe('the timer', () => {
    const job = (): DeliveryFailoverJob => ({
      verificationId: 'verification-1',
      linkIndex: 0,
      provider: 'telegram',
      messageId: 'tg-1',
      message: { iv: 'iv', data: Buffer.from(JSON.stringify({ code: '123456', text: 'T' })).toString('hex'), tag: 't' },
    });

    it.each([
      ['the code is no longer pending or expired', { valid: false }],
      ['the link reported delivered', { linkStatus: 'delivered' }],
      ['the link reported read', { linkStatus: 'read' }],
      ['the next link was already tried (a retried job)', { laterAttempts: 1 }],
    ])('sends nothing when %s', async (_what, change) => {
      const { sms, repository, run } = createSut([TELEGRAM, MOBIZON, TWILIO]);
      repository.state.mockResolvedValue({ ...STATE, ...change });
      await run(job());
      expect(sms.dispatch).not.toHaveBeenCalled();
      expect(repository.record).not.toHaveBeenCalled();
    });

    it('asks a link with a status API once before the next link: delivered meanwhile → nothing sent, the report applied', async () => {
      const report = { messageId: 'tg-1', status: DeliveryStatus.Delivered, providerStatus: 'delivered' };
      const polled = { ...TELEGRAM, fetchStatus: jest.fn().mockResolvedValue(report) };
      const { sms, tracking, run } = createSut([polled, MOBIZON]);
      await run(job());
      expect(polled.fetchStatus).toHaveBeenCalledWith('tg-1');
      expect(tracking.apply).toHaveBeenCalledWith('telegram', report, 'poll');
      expect(sms.dispatch).not.toHaveBeenCalled();
    });

    it.each([
      ['still sent', () => Promise.resolve({ messageId: 'tg-1', status: DeliveryStatus.Sent, providerStatus: 'sent' })],
      ['the status question failed', () => Promise.reject(new Error('timeout'))],
    ])('when the link is %s, the next link sends', async (_what, answer) => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const polled = { ...TELEGRAM, fetchStatus: jest.fn(answer) };
      const { sms, run } = createSut([polled, MOBIZON]);
      const attempt = accepted('mobizon', 'mz-1');
      sms.dispatch.mockResolvedValue({ attempts: [attempt], accepted: attempt });
      await run(job());
      expect(sms.dispatch).toHaveBeenCalledTimes(1);
    });

    it("sends the same code from the next link, records it, counts it and starts that link's timer", async () => {
      const { sms, repository, metrics, jobs, run } = createSut([TELEGRAM, MOBIZON, TWILIO], 5);
      const attempt = accepted('mobizon', 'mz-1');
      sms.dispatch.mockResolvedValue({ attempts: [attempt], accepted: attempt });

      await run(job());

      expect(sms.dispatch).toHaveBeenCalledWith(
        {
          to: STATE.phoneNumber,
          text: 'T',
          otp: { code: '123456', ttlSeconds: 250, verificationId: 'verification-1' },
        },
        'KZ',
        { channel: undefined, fromLink: 1 },
      );
      expect(repository.record).toHaveBeenCalledWith(
        expect.objectContaining({ verificationId: 'verification-1', attempts: [attempt], accepted: attempt }),
      );
      expect(repository.record.mock.calls[0][0].events).toEqual([
        expect.objectContaining({
          type: 'code_sent',
          provider: 'mobizon',
          details: expect.objectContaining({ failover_from: 'telegram', reason: 'delivery_timeout' }),
        }),
      ]);
      expect(metrics.deliveryFailover).toHaveBeenCalledWith('telegram', 'mobizon');
      expect(jobs.send).toHaveBeenCalledWith(
        DELIVERY_FAILOVER_QUEUE,
        expect.objectContaining({ linkIndex: 1, provider: 'mobizon', messageId: 'mz-1' }),
        { startAfterSeconds: 5, onceKey: 'verification-1:1' },
      );
    });

    it('records a refusal of every further link and stops', async () => {
      const { sms, repository, metrics, jobs, run } = createSut([TELEGRAM, MOBIZON]);
      const refused = { ...accepted('mobizon', ''), messageId: null, status: DeliveryStatus.Failed };
      sms.dispatch.mockResolvedValue({ attempts: [refused] });

      await run(job());

      expect(repository.record).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: [refused], accepted: undefined }),
      );
      expect(metrics.deliveryFailover).not.toHaveBeenCalled();
      expect(jobs.send).not.toHaveBeenCalled();
    });
  });
});
