import { ErrorCode } from '@app/common';
import type { SmsMetrics } from '@app/metrics';
import { DeliveryChannel } from './delivery-channel';
import { DeliveryStatus } from './delivery-status';
import { SmsDispatcher } from './sms-dispatcher.service';
import { SmsProviderError } from './sms-provider.error';
import type { SmsMessage, SmsProvider } from './sms-provider.interface';

const MESSAGE: SmsMessage = { to: '+77001234567', text: 'Your code: 482913' };

type FakeProvider = SmsProvider & { send: jest.Mock };

const accepting = (name: string, messageId = `${name}-msg-1`): FakeProvider => ({
  name,
  channel: DeliveryChannel.Sms,
  send: jest.fn().mockResolvedValue({ messageId, status: DeliveryStatus.Sent }),
});

const failing = (name: string, error: unknown): FakeProvider => ({
  name,
  channel: DeliveryChannel.Sms,
  send: jest.fn().mockRejectedValue(error),
});

const fakeMetrics = () => ({ providerCall: jest.fn(), codeSendFailed: jest.fn() });

function createSutWithRoutes(routes: string, defaultChain: string[], ...providers: FakeProvider[]): SmsDispatcher {
  return createSutWithMetrics(routes, defaultChain, fakeMetrics(), ...providers);
}

function createSutWithMetrics(
  routes: string,
  defaultChain: string[],
  metrics: ReturnType<typeof fakeMetrics>,
  ...providers: FakeProvider[]
): SmsDispatcher {
  const settings: Record<string, unknown> = { SMS_PROVIDER: defaultChain, SMS_ROUTES: routes, SMS_TEST_MODE: false };
  const config = { get: (key: string) => settings[key] } as unknown as ConstructorParameters<typeof SmsDispatcher>[1];
  return new SmsDispatcher(
    new Map(providers.map((provider) => [provider.name, provider])),
    config,
    metrics as unknown as SmsMetrics,
  );
}

function createSut(...providers: FakeProvider[]): SmsDispatcher {
  return createSutWithRoutes(
    '',
    providers.map((provider) => provider.name),
    ...providers,
  );
}

describe(SmsDispatcher.name, () => {
  it('stops at the first provider that accepts', async () => {
    const first = accepting('alpha', 'alpha-42');
    const second = accepting('beta');

    const result = await createSut(first, second).dispatch(MESSAGE);

    expect(first.send).toHaveBeenCalledWith(MESSAGE);
    expect(second.send).not.toHaveBeenCalled();
    expect(result.attempts).toHaveLength(1);
    expect(result.accepted).toMatchObject({
      provider: 'alpha',
      messageId: 'alpha-42',
      status: DeliveryStatus.Sent,
      errorCode: null,
      errorMessage: null,
    });
    expect(result.error).toBeUndefined();
  });

  it('fails over to the next provider after a definite failure and records both attempts', async () => {
    const outage = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer in 5000 ms');
    const first = failing('alpha', outage);
    const second = accepting('beta', 'beta-7');

    const result = await createSut(first, second).dispatch(MESSAGE);

    expect(second.send).toHaveBeenCalledWith(MESSAGE);
    expect(result.attempts).toHaveLength(2);
    expect(result.attempts[0]).toMatchObject({
      provider: 'alpha',
      messageId: null,
      status: DeliveryStatus.Failed,
      errorCode: 'timeout',
      errorMessage: 'alpha did not answer in 5000 ms',
      error: outage,
    });
    expect(result.accepted).toBe(result.attempts[1]);
    expect(result.accepted).toMatchObject({ provider: 'beta', messageId: 'beta-7' });
  });

  it('records when each attempt started and finished', async () => {
    const result = await createSut(accepting('alpha')).dispatch(MESSAGE);
    const [attempt] = result.attempts;
    expect(attempt.startedAt).toBeInstanceOf(Date);
    expect(attempt.finishedAt.getTime()).toBeGreaterThanOrEqual(attempt.startedAt.getTime());
  });

  it('reports the last failure when every provider fails', async () => {
    const rejected = new SmsProviderError('rejected', 'alpha', '2', 'insufficient funds');
    const outage = new SmsProviderError('unavailable', 'beta', '503', 'beta answered 503');

    const result = await createSut(failing('alpha', rejected), failing('beta', outage)).dispatch(MESSAGE);

    expect(result.accepted).toBeUndefined();
    expect(result.error).toBe(outage);
    expect(result.attempts.map((attempt) => [attempt.provider, attempt.status, attempt.errorCode])).toEqual([
      ['alpha', DeliveryStatus.Failed, '2'],
      ['beta', DeliveryStatus.Failed, '503'],
    ]);
  });

  it("falls back to the error's code when the provider gave none", async () => {
    const result = await createSut(
      failing('alpha', new SmsProviderError('rejected', 'alpha', null, 'refused')),
    ).dispatch(MESSAGE);
    expect(result.attempts[0].errorCode).toBe(ErrorCode.SmsProviderRejected);
  });

  it("turns a provider's unexpected error into an 'unavailable' SmsProviderError", async () => {
    const result = await createSut(failing('alpha', new TypeError('Cannot read properties of undefined'))).dispatch(
      MESSAGE,
    );

    expect(result.error).toBeInstanceOf(SmsProviderError);
    expect(result.error).toMatchObject({
      kind: 'unavailable',
      provider: 'alpha',
      code: ErrorCode.SmsProviderUnavailable,
    });
    expect(result.attempts[0]).toMatchObject({
      provider: 'alpha',
      status: DeliveryStatus.Failed,
      errorCode: ErrorCode.SmsProviderUnavailable,
    });
  });

  it('keeps going after an unexpected error', async () => {
    const second = accepting('beta');
    const result = await createSut(failing('alpha', new Error('boom')), second).dispatch(MESSAGE);
    expect(result.accepted?.provider).toBe('beta');
  });

  it('truncates a long error message to 512 characters', async () => {
    const result = await createSut(
      failing('alpha', new SmsProviderError('unavailable', 'alpha', null, 'x'.repeat(2000))),
    ).dispatch(MESSAGE);
    expect(result.attempts[0].errorMessage).toHaveLength(512);
  });

  it('answers no attempts and no acceptance when no provider is configured', async () => {
    expect(await createSut().dispatch(MESSAGE)).toEqual({ attempts: [], error: undefined });
  });

  it('does not fail over after a failure that is not definite (the message may be on its way)', async () => {
    const unreadable = new SmsProviderError(
      'unavailable',
      'alpha',
      'malformed_response',
      'alpha answered HTTP 200 with a body that could not be read',
      false,
    );
    const first = failing('alpha', unreadable);
    const second = accepting('beta');

    const result = await createSut(first, second).dispatch(MESSAGE);

    expect(second.send).not.toHaveBeenCalled();
    expect(result.accepted).toBeUndefined();
    expect(result.error).toBe(unreadable);
  });

  it('reports each provider call to the metrics, and each failed send with its error code', async () => {
    const metrics = fakeMetrics();
    const outage = new SmsProviderError('unavailable', 'alpha', 'timeout', 'alpha did not answer in 5000 ms');
    const rejected = new SmsProviderError('rejected', 'beta', null, 'refused');

    await createSutWithMetrics(
      '',
      ['alpha', 'beta', 'gamma'],
      metrics,
      failing('alpha', outage),
      failing('beta', rejected),
      accepting('gamma'),
    ).dispatch(MESSAGE);

    expect(metrics.providerCall.mock.calls).toEqual([
      ['alpha', 'send', 'unavailable', expect.any(Number)],
      ['beta', 'send', 'rejected', expect.any(Number)],
      ['gamma', 'send', 'ok', expect.any(Number)],
    ]);
    expect(metrics.codeSendFailed.mock.calls).toEqual([
      ['alpha', 'timeout', 'sms'],
      ['beta', ErrorCode.SmsProviderRejected, 'sms'],
    ]);
  });

  describe('routing (SMS_ROUTES)', () => {
    const mobizon = () => accepting('mobizon');
    const eskiz = () => accepting('eskiz');
    const twilio = () => accepting('twilio');

    it("uses the chain of the number's country", async () => {
      const providers = [mobizon(), eskiz(), twilio()];
      const sut = createSutWithRoutes('KZ=mobizon;UZ=eskiz,twilio;*=twilio', ['twilio'], ...providers);
      expect((await sut.dispatch(MESSAGE, 'UZ')).accepted?.provider).toBe('eskiz');
      expect((await sut.dispatch(MESSAGE, 'KZ')).accepted?.provider).toBe('mobizon');
    });

    it('sends countries it does not list to the * chain', async () => {
      const sut = createSutWithRoutes('KZ=mobizon;*=twilio', ['mobizon'], mobizon(), twilio());
      expect((await sut.dispatch(MESSAGE, 'DE')).accepted?.provider).toBe('twilio');
      expect(sut.chainFor(null).map((provider) => provider.name)).toEqual(['twilio']);
    });

    it('falls back to the SMS_PROVIDER chain when there is no * route', () => {
      const sut = createSutWithRoutes('UZ=eskiz', ['mobizon', 'twilio'], mobizon(), eskiz(), twilio());
      expect(sut.chainFor('KZ').map((provider) => provider.name)).toEqual(['mobizon', 'twilio']);
    });

    it("fails over within a country's chain", async () => {
      const down = failing('eskiz', new SmsProviderError('unavailable', 'eskiz', '503', 'eskiz is down'));
      const sut = createSutWithRoutes('UZ=eskiz,twilio', ['mobizon'], mobizon(), down, twilio());
      const result = await sut.dispatch(MESSAGE, 'UZ');
      expect(result.attempts.map((attempt) => attempt.provider)).toEqual(['eskiz', 'twilio']);
      expect(result.accepted?.provider).toBe('twilio');
    });
  });

  describe('a requested channel', () => {
    // SMS_ROUTES names only known providers; a link under a vendor's name plays the Telegram one here.
    const telegramLink = (name: string): FakeProvider => ({ ...accepting(name), channel: DeliveryChannel.Telegram });

    it("keeps only the chain's links of that channel, in their order", async () => {
      const tg = telegramLink('eskiz');
      const mobizon = accepting('mobizon');
      const twilio = accepting('twilio');
      const sut = createSutWithRoutes('KZ=eskiz,mobizon,twilio', ['twilio'], tg, mobizon, twilio);
      expect(sut.chainFor('KZ', DeliveryChannel.Sms).map((provider) => provider.name)).toEqual(['mobizon', 'twilio']);
      expect(sut.chainFor('KZ', DeliveryChannel.Telegram).map((provider) => provider.name)).toEqual(['eskiz']);
      expect(sut.chainFor('KZ', DeliveryChannel.WhatsApp)).toEqual([]);
      expect(sut.chainFor('KZ').map((provider) => provider.name)).toEqual(['eskiz', 'mobizon', 'twilio']);

      const result = await sut.dispatch(MESSAGE, 'KZ', { channel: DeliveryChannel.Sms });
      expect(result.accepted).toMatchObject({ provider: 'mobizon', channel: DeliveryChannel.Sms });
      expect(tg.send).not.toHaveBeenCalled();
    });

    it('reports the channel of each failed send to the metrics', async () => {
      const metrics = fakeMetrics();
      const refusal = new SmsProviderError('rejected', 'tg', 'PHONE_NUMBER_NOT_AVAILABLE', 'not on Telegram', true);
      const tg = { ...failing('tg', refusal), channel: DeliveryChannel.Telegram };
      const sut = createSutWithMetrics('', ['tg', 'mobizon'], metrics, tg, accepting('mobizon'));
      expect((await sut.dispatch(MESSAGE)).accepted?.channel).toBe(DeliveryChannel.Sms);
      expect(metrics.codeSendFailed.mock.calls).toEqual([['tg', 'PHONE_NUMBER_NOT_AVAILABLE', 'telegram']]);
    });
  });
});
