import { Logger } from '@nestjs/common';
import type { JobDefinition, JobPayloadCipher, JobQueue } from '@app/jobs';
import { DeliveryChannel, type SmsDispatcher, type SmsProvider } from '@app/sms';
import type { DeliveryFailoverRepository, VerifiedDelivery } from './delivery-failover.repository';
import { POST_VERIFY_QUEUE, PostVerifyReports, type PostVerifyJob } from './post-verify-reports.service';

function createSut(providers: SmsProvider[], deliveries: VerifiedDelivery[] = []) {
  let definition: JobDefinition<PostVerifyJob> | undefined;
  const jobs = {
    define: jest.fn((d: JobDefinition<PostVerifyJob>) => (definition = d)),
    send: jest.fn().mockResolvedValue(true),
  };
  const cipher = {
    seal: jest.fn(() => ({ iv: 'iv', data: 'sealed', tag: 't' })),
    open: jest.fn(() => '123456'),
  };
  const sms = { chainFor: jest.fn(() => providers) };
  const repository = { verifiedDeliveries: jest.fn().mockResolvedValue(deliveries) };
  const sut = new PostVerifyReports(
    jobs as unknown as JobQueue,
    cipher as unknown as JobPayloadCipher,
    sms as unknown as SmsDispatcher,
    new Map(providers.map((p) => [p.name, p])),
    repository as unknown as DeliveryFailoverRepository,
  );
  const run = () =>
    definition!.handler(
      { verificationId: 'v-1', code: { iv: 'iv', data: 'sealed', tag: 't' } },
      { id: 'j', retryCount: 0 },
    );
  return { sut, jobs, run };
}

const sms: SmsProvider = { name: 'mobizon', channel: DeliveryChannel.Sms, send: jest.fn() };

describe(PostVerifyReports.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('enqueues nothing when no provider reports or revokes', () => {
    const { sut, jobs } = createSut([sms]);
    sut.afterVerified('v-1', 'KZ', '123456');
    expect(sut.enabled).toBe(false);
    expect(jobs.send).not.toHaveBeenCalled();
  });

  it('enqueues one job per verified code, the code sealed', () => {
    const telegram = { ...sms, name: 'telegram', channel: DeliveryChannel.Telegram, reportVerified: jest.fn() };
    const { sut, jobs } = createSut([telegram, sms]);
    sut.afterVerified('v-1', 'KZ', '123456');
    expect(jobs.send).toHaveBeenCalledWith(
      POST_VERIFY_QUEUE,
      { verificationId: 'v-1', code: { iv: 'iv', data: 'sealed', tag: 't' } },
      { onceKey: 'v-1' },
    );
  });

  it('reports the code to each delivering link that can, and revokes superseded unread messages', async () => {
    const telegram = {
      ...sms,
      name: 'telegram',
      channel: DeliveryChannel.Telegram,
      reportVerified: jest.fn().mockResolvedValue(undefined),
      revoke: jest.fn().mockResolvedValue(undefined),
    };
    const { run } = createSut(
      [telegram, sms],
      [
        { provider: 'telegram', messageId: 'tg-1', status: 'sent', isCurrent: false },
        { provider: 'telegram', messageId: 'tg-read', status: 'read', isCurrent: false },
        { provider: 'mobizon', messageId: 'mz-1', status: 'delivered', isCurrent: true },
      ],
    );

    await run();

    expect(telegram.reportVerified.mock.calls).toEqual([
      ['tg-1', '123456'],
      ['tg-read', '123456'],
    ]);
    expect(telegram.revoke.mock.calls).toEqual([['tg-1']]);
  });

  it('fails the job (to be retried) when a vendor call failed, after making the others', async () => {
    const telegram = {
      ...sms,
      name: 'telegram',
      channel: DeliveryChannel.Telegram,
      reportVerified: jest.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValue(undefined),
    };
    const { run } = createSut(
      [telegram],
      [
        { provider: 'telegram', messageId: 'tg-1', status: 'sent', isCurrent: false },
        { provider: 'telegram', messageId: 'tg-2', status: 'sent', isCurrent: true },
      ],
    );

    await expect(run()).rejects.toThrow('post-verify reports failed');
    expect(telegram.reportVerified).toHaveBeenCalledTimes(2);
  });
});
