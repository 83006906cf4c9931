import { DeliveryStatus } from '../../libs/sms/src/delivery-status';
import { type TwilioOptions, TwilioSmsProvider } from '../../libs/sms/src/providers/twilio/twilio.sms-provider';
import { type SmsProviderError, WebhookRejectedError } from '../../libs/sms/src/sms-provider.error';
import type { WebhookRequest } from '../../libs/sms/src/sms-provider.interface';
import { type RecordedRequest, startFakeHttpServer } from '../fakes/fake-http-server';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { expectNoCredentials, failureOf } from './provider-assertions';

const RECIPIENT = '+77001234567';
const TEXT = 'Your code: 123456';
const CALLBACK_URL = 'https://sms-auth.example.com/api/v1/sms-auth/webhooks/twilio';

describe('TwilioSmsProvider against the Twilio fake', () => {
  let fake: TwilioFake;

  beforeEach(async () => {
    fake = await startTwilioFake();
  });

  afterEach(async () => {
    await fake.close();
  });

  function adapter(overrides: Partial<TwilioOptions> = {}): TwilioSmsProvider {
    return new TwilioSmsProvider({
      baseUrl: fake.server.origin,
      timeoutMs: 2000,
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: fake.phoneNumber,
      ...overrides,
    });
  }

  function basicAuth(): string {
    return `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`;
  }

  function expectNoSecrets(error: SmsProviderError, ...extraSecrets: string[]): void {
    expectNoCredentials(error, fake.authToken, fake.accountSid, ...extraSecrets);
  }

  async function sentMessageId(provider = adapter()): Promise<string> {
    return (await provider.send({ to: RECIPIENT, text: TEXT })).messageId;
  }

  describe('send', () => {
    it('POSTs a form with To in E.164, From and Body under Basic auth, and returns the SM sid as queued', async () => {
      const result = await adapter().send({ to: RECIPIENT, text: TEXT });

      expect(result).toEqual({ messageId: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: DeliveryStatus.Queued });
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages.json`);
      expect([...request.query]).toEqual([]);
      expect(request.headers.authorization).toBe(basicAuth());
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers.accept).toBe('application/json');
      expect([...request.form!]).toEqual([
        ['To', RECIPIENT],
        ['From', fake.phoneNumber],
        ['Body', TEXT],
      ]);
      expect(request.body).toContain('To=%2B77001234567');
      expect(fake.messages).toEqual([
        expect.objectContaining({ id: result.messageId, to: RECIPIENT, text: TEXT, status: 'queued' }),
      ]);
    });

    it('prefers MessagingServiceSid over From when both are configured; Twilio answers "accepted"', async () => {
      const result = await adapter({ messagingServiceSid: fake.messagingServiceSid }).send({
        to: RECIPIENT,
        text: TEXT,
      });

      expect(result.status).toBe(DeliveryStatus.Queued);
      expect([...fake.requests[0].form!]).toEqual([
        ['To', RECIPIENT],
        ['MessagingServiceSid', fake.messagingServiceSid],
        ['Body', TEXT],
      ]);
      expect(fake.messages[0].status).toBe('accepted');
    });

    it('sends StatusCallback when a callback URL is configured', async () => {
      await adapter({ statusCallbackUrl: CALLBACK_URL }).send({ to: RECIPIENT, text: TEXT });

      expect(fake.requests[0].form!.get('StatusCallback')).toBe(CALLBACK_URL);
    });

    it('form-encodes a text with non-Latin letters and reserved characters intact', async () => {
      const text = 'Код: 123 456 & más = 100% +1';
      await adapter().send({ to: RECIPIENT, text });

      expect(fake.requests[0].form!.get('Body')).toBe(text);
      expect(fake.messages[0].text).toBe(text);
    });
  });

  describe('send failures', () => {
    interface RefusalCase {
      arrange?: (twilio: TwilioFake) => void;
      options?: Partial<TwilioOptions>;
      to?: string;
      code: string;
    }

    it.each<[string, RefusalCase]>([
      ['an invalid To number', { to: '+1234', code: '21211' }],
      ['a From number the account does not own', { options: { from: '+15550001111' }, code: '21606' }],
      [
        'a trial account sending to an unverified number',
        { arrange: (twilio) => twilio.trialMode(['+15558675310']), code: '21608' },
      ],
      ['a recipient who replied STOP', { arrange: (twilio) => twilio.optOut(RECIPIENT), code: '21610' }],
      [
        'a region without SMS permission',
        { arrange: (twilio) => twilio.refuseRecipient(RECIPIENT, 21408), code: '21408' },
      ],
      ['an unroutable recipient', { arrange: (twilio) => twilio.refuseRecipient(RECIPIENT, 21612), code: '21612' }],
      ['a number that is not mobile', { arrange: (twilio) => twilio.refuseRecipient(RECIPIENT, 21614), code: '21614' }],
      ['a landline', { arrange: (twilio) => twilio.refuseRecipient(RECIPIENT, 21635), code: '21635' }],
      ['an account suspended for lack of funds', { arrange: (twilio) => twilio.suspendAccount(true), code: '20005' }],
    ])('%s → rejected with the Twilio code', async (_case, { arrange, options, to = RECIPIENT, code }) => {
      arrange?.(fake);

      const error = await failureOf(adapter(options).send({ to, text: TEXT }));

      expect(error).toMatchObject({ kind: 'rejected', provider: 'twilio', providerCode: code, definite: true });
      expect(error.message).toContain(code);
      expectNoSecrets(error);
      expect(fake.messages).toEqual([]);
    });

    it('bad credentials → rejected 20003, without the token or the sid in the message', async () => {
      const wrongToken = 'f'.repeat(32);

      const error = await failureOf(adapter({ authToken: wrongToken }).send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '20003', definite: true });
      expectNoSecrets(error, wrongToken);
    });

    it('rate limit → unavailable 20429', async () => {
      fake.rateLimit(true);

      const error = await failureOf(adapter().send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: '20429', definite: true });
      expectNoSecrets(error);
    });

    it('outage (HTTP 500) → unavailable with Twilio code 20500', async () => {
      fake.failSends(true);

      const error = await failureOf(adapter().send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: '20500', definite: true });
      expectNoSecrets(error);
    });

    it('a 201 reply that is not JSON → unavailable malformed_response, not definite (the message may be on its way)', async () => {
      fake.malformedReplies(true);

      const error = await failureOf(adapter().send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: false });
    });

    it('no answer → unavailable timeout', async () => {
      fake.hangSends(true);

      const error = await failureOf(adapter({ timeoutMs: 300 }).send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
    });

    it('connection refused → unavailable connection_failed', async () => {
      const closed = await startFakeHttpServer(() => ({ status: 200 }));
      await closed.close();

      const error = await failureOf(adapter({ baseUrl: closed.origin }).send({ to: RECIPIENT, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
    });
  });

  describe('fetchStatus', () => {
    it('GETs the message resource under Basic auth', async () => {
      const messageId = await sentMessageId();

      await adapter().fetchStatus(messageId);

      const request = fake.requests[1];
      expect(request.method).toBe('GET');
      expect(request.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages/${messageId}.json`);
      expect(request.headers.authorization).toBe(basicAuth());
      expect(request.body).toBe('');
    });

    it('follows queued → sending → sent → delivered', async () => {
      const provider = adapter();
      const messageId = await sentMessageId(provider);

      const reports = [];
      for (let poll = 0; poll < 5; poll++) reports.push(await provider.fetchStatus(messageId));

      expect(reports.map(({ providerStatus, status }) => [providerStatus, status])).toEqual([
        ['queued', DeliveryStatus.Queued],
        ['sending', DeliveryStatus.Sent],
        ['sent', DeliveryStatus.Sent],
        ['delivered', DeliveryStatus.Delivered],
        ['delivered', DeliveryStatus.Delivered],
      ]);
      expect(reports[3]).toEqual({
        messageId,
        status: DeliveryStatus.Delivered,
        providerStatus: 'delivered',
        errorCode: null,
      });
    });

    it('ends in undelivered with the 30xxx error_code when the carrier refuses', async () => {
      fake.deliveryFailure({ status: 'undelivered', errorCode: 30003 });
      const provider = adapter();
      const messageId = await sentMessageId(provider);

      const reports = [];
      for (let poll = 0; poll < 4; poll++) reports.push(await provider.fetchStatus(messageId));

      expect(reports.map(({ providerStatus }) => providerStatus)).toEqual(['queued', 'sending', 'sent', 'undelivered']);
      expect(reports[3]).toEqual({
        messageId,
        status: DeliveryStatus.Failed,
        providerStatus: 'undelivered',
        errorCode: '30003',
      });
    });

    it('reports delivered once the fake delivers the message', async () => {
      const messageId = await sentMessageId();
      fake.deliver(messageId);

      expect(await adapter().fetchStatus(messageId)).toEqual({
        messageId,
        status: DeliveryStatus.Delivered,
        providerStatus: 'delivered',
        errorCode: null,
      });
    });

    it.each([
      ['queued', DeliveryStatus.Queued],
      ['accepted', DeliveryStatus.Queued],
      ['scheduled', DeliveryStatus.Queued],
      ['sending', DeliveryStatus.Sent],
      ['sent', DeliveryStatus.Sent],
      ['partially_delivered', DeliveryStatus.Sent],
      ['delivered', DeliveryStatus.Delivered],
      ['read', DeliveryStatus.Delivered],
      ['undelivered', DeliveryStatus.Failed],
      ['failed', DeliveryStatus.Failed],
      ['canceled', DeliveryStatus.Failed],
      ['receiving', DeliveryStatus.Unknown],
      ['received', DeliveryStatus.Unknown],
      ['some_future_status', DeliveryStatus.Unknown],
    ])('maps Twilio status %s to %s', async (twilioStatus, expected) => {
      const messageId = await sentMessageId();
      fake.setStatus(messageId, twilioStatus);

      expect(await adapter().fetchStatus(messageId)).toEqual({
        messageId,
        status: expected,
        providerStatus: twilioStatus,
        errorCode: null,
      });
    });

    it.each([
      ['undelivered', 30003],
      ['undelivered', 30004],
      ['undelivered', 30005],
      ['undelivered', 30006],
      ['failed', 30007],
      ['failed', 30008],
    ] as const)('keeps error_code of a %s message (%d) as a string', async (status, errorCode) => {
      const messageId = await sentMessageId();
      fake.failDelivery(messageId, { status, errorCode });

      expect(await adapter().fetchStatus(messageId)).toEqual({
        messageId,
        status: DeliveryStatus.Failed,
        providerStatus: status,
        errorCode: String(errorCode),
      });
    });

    it('an unknown sid → rejected 20404, with the AccountSid Twilio quotes masked', async () => {
      const error = await failureOf(adapter().fetchStatus(`SM${'0'.repeat(32)}`));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '20404', definite: true });
      expectNoSecrets(error);
    });

    it('an outage → unavailable 20500', async () => {
      const messageId = await sentMessageId();
      fake.outage(true);

      expect(await failureOf(adapter().fetchStatus(messageId))).toMatchObject({
        kind: 'unavailable',
        providerCode: '20500',
      });
    });

    it('a reply that is not JSON → unavailable malformed_response', async () => {
      const messageId = await sentMessageId();
      fake.malformedReplies(true);

      expect(await failureOf(adapter().fetchStatus(messageId))).toMatchObject({
        kind: 'unavailable',
        providerCode: 'malformed_response',
      });
    });
  });

  describe('fetchBalance', () => {
    it('GETs Balance.json under Basic auth and returns the balance string as Twilio states it', async () => {
      fake.setBalance('4043.06560', 'USD');

      expect(await adapter().fetchBalance()).toEqual({ balance: '4043.06560', currency: 'USD' });
      const [request] = fake.requests;
      expect(request.method).toBe('GET');
      expect(request.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Balance.json`);
      expect(request.headers.authorization).toBe(basicAuth());
    });

    it('keeps a negative balance unrounded', async () => {
      fake.setBalance('-0.19553', 'EUR');

      expect(await adapter().fetchBalance()).toEqual({ balance: '-0.19553', currency: 'EUR' });
    });

    it('bad credentials → rejected 20003', async () => {
      const error = await failureOf(adapter({ authToken: 'wrong' }).fetchBalance());

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '20003' });
      expectNoSecrets(error);
    });

    it('rate limit → unavailable 20429', async () => {
      fake.rateLimit(true);

      expect(await failureOf(adapter().fetchBalance())).toMatchObject({ kind: 'unavailable', providerCode: '20429' });
    });
  });

  describe('parseDeliveryReport', () => {
    function webhookRequest(url: string, callback: { body: string; headers: Record<string, string> }): WebhookRequest {
      return { url, headers: callback.headers, body: Object.fromEntries(new URLSearchParams(callback.body)) };
    }

    it('parses a correctly signed delivered callback', async () => {
      const messageId = await sentMessageId();
      const request = webhookRequest(CALLBACK_URL, fake.signedCallback(CALLBACK_URL, messageId, 'delivered'));

      expect(adapter().parseDeliveryReport(request)).toEqual([
        { messageId, status: DeliveryStatus.Delivered, providerStatus: 'delivered', errorCode: null },
      ]);
    });

    it('parses an undelivered callback with its ErrorCode', async () => {
      const messageId = await sentMessageId();
      const request = webhookRequest(CALLBACK_URL, fake.signedCallback(CALLBACK_URL, messageId, 'undelivered', 30005));

      expect(adapter().parseDeliveryReport(request)).toEqual([
        { messageId, status: DeliveryStatus.Failed, providerStatus: 'undelivered', errorCode: '30005' },
      ]);
    });

    it.each([
      [
        'signed with :443, received without',
        'https://sms-auth.example.com:443/api/v1/sms-auth/webhooks/twilio',
        CALLBACK_URL,
      ],
      [
        'signed without :443, received with',
        CALLBACK_URL,
        'https://sms-auth.example.com:443/api/v1/sms-auth/webhooks/twilio',
      ],
      [
        'signed with :80 over http, received without',
        'http://sms.example.com:80/hook?x=1',
        'http://sms.example.com/hook?x=1',
      ],
    ])('accepts a callback %s', (_case, signedUrl, receivedUrl) => {
      const request = webhookRequest(receivedUrl, fake.signedCallback(signedUrl, 'SM1', 'sent'));

      expect(adapter().parseDeliveryReport(request)).toEqual([
        { messageId: 'SM1', status: DeliveryStatus.Sent, providerStatus: 'sent', errorCode: null },
      ]);
    });

    it('reads the signature header whatever its case', () => {
      const callback = fake.signedCallback(CALLBACK_URL, 'SM1', 'delivered');
      const headers = { 'X-Twilio-Signature': callback.headers['x-twilio-signature'] };

      expect(
        adapter().parseDeliveryReport(webhookRequest(CALLBACK_URL, { body: callback.body, headers })),
      ).toHaveLength(1);
    });

    it('completes a bare path with publicBaseUrl', () => {
      const request = webhookRequest(
        '/api/v1/sms-auth/webhooks/twilio',
        fake.signedCallback(CALLBACK_URL, 'SM1', 'delivered'),
      );

      expect(adapter({ publicBaseUrl: 'https://sms-auth.example.com/' }).parseDeliveryReport(request)).toHaveLength(1);
    });

    it('a forged signature → WebhookRejectedError', () => {
      const request = webhookRequest(CALLBACK_URL, fake.forgedCallback(CALLBACK_URL, 'SM1', 'delivered'));

      expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
    });

    it('a missing signature → WebhookRejectedError', () => {
      const callback = fake.signedCallback(CALLBACK_URL, 'SM1', 'delivered');

      expect(() =>
        adapter().parseDeliveryReport(webhookRequest(CALLBACK_URL, { body: callback.body, headers: {} })),
      ).toThrow(WebhookRejectedError);
    });

    it('a body changed after signing → WebhookRejectedError', () => {
      const callback = fake.signedCallback(CALLBACK_URL, 'SM1', 'undelivered', 30003);
      const request = webhookRequest(CALLBACK_URL, callback);
      request.body.MessageStatus = 'delivered';

      expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
    });

    it('a signature made for another URL → WebhookRejectedError', () => {
      const request = webhookRequest(
        CALLBACK_URL,
        fake.signedCallback('https://elsewhere.example.com/hook', 'SM1', 'delivered'),
      );

      expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
    });

    it('no auth token configured → WebhookRejectedError', () => {
      const request = webhookRequest(CALLBACK_URL, fake.signedCallback(CALLBACK_URL, 'SM1', 'delivered'));

      expect(() => adapter({ authToken: '' }).parseDeliveryReport(request)).toThrow(WebhookRejectedError);
    });

    it('authenticates the callback the fake POSTs to StatusCallback over HTTP', async () => {
      const receiver = await startFakeHttpServer(() => ({ status: 200, body: '' }));
      try {
        const statusCallbackUrl = `${receiver.origin}/api/v1/sms-auth/webhooks/twilio?attempt=1`;
        const provider = adapter({ statusCallbackUrl });
        const messageId = await sentMessageId(provider);
        fake.failDelivery(messageId, { status: 'undelivered', errorCode: 30007 });

        expect((await fake.postStatusCallback(messageId)).status).toBe(200);

        const [received] = receiver.requests;
        expect(received.form!.get('RawDlrDoneDate')).toMatch(/^\d{10}$/);
        expect(provider.parseDeliveryReport(asWebhookRequest(receiver.origin, received))).toEqual([
          { messageId, status: DeliveryStatus.Failed, providerStatus: 'undelivered', errorCode: '30007' },
        ]);
      } finally {
        await receiver.close();
      }
    });
  });
});

/** What the webhook controller would hand over for a request it received at `origin`. */
function asWebhookRequest(origin: string, received: RecordedRequest): WebhookRequest {
  const headers = Object.fromEntries(
    Object.entries(received.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
  const query = received.query.toString();
  return {
    url: `${origin}${received.path}${query ? `?${query}` : ''}`,
    headers,
    body: Object.fromEntries(received.form!),
  };
}
