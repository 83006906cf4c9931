import { DeliveryChannel } from '../../libs/sms/src/delivery-channel';
import { DeliveryStatus } from '../../libs/sms/src/delivery-status';
import {
  type TelegramGatewayOptions,
  TelegramGatewayProvider,
} from '../../libs/sms/src/providers/telegram/telegram-gateway.provider';
import { SmsProviderError, WebhookRejectedError } from '../../libs/sms/src/sms-provider.error';
import type { OneTimeCode, WebhookRequest } from '../../libs/sms/src/sms-provider.interface';
import { type RecordedRequest, startFakeHttpServer } from '../fakes/fake-http-server';
import { startTelegramFake, type TelegramFake } from '../fakes/telegram.fake';
import { expectNoCredentials, failureOf } from './provider-assertions';

const RECIPIENT = '+77001234567';
const TEXT = 'Your code: 482913';
const OTP: OneTimeCode = { code: '482913', ttlSeconds: 300, verificationId: '0b0c3a52-8d1e-4e4b-9f55-3c1f8d2f0a11' };
const CALLBACK_URL = 'https://auth.example.com/api/v1/sms-auth/webhooks/telegram';

describe('TelegramGatewayProvider against the Telegram Gateway fake', () => {
  let fake: TelegramFake;

  beforeEach(async () => {
    fake = await startTelegramFake();
  });

  afterEach(async () => {
    await fake.close();
  });

  function adapter(overrides: Partial<TelegramGatewayOptions> = {}): TelegramGatewayProvider {
    return new TelegramGatewayProvider({
      baseUrl: fake.server.origin,
      timeoutMs: 2000,
      token: fake.token,
      ...overrides,
    });
  }

  async function sent(provider = adapter(), otp: OneTimeCode = OTP): Promise<string> {
    return (await provider.send({ to: RECIPIENT, text: TEXT, otp })).messageId;
  }

  function webhook(signed: { body: string; headers: Record<string, string> }): WebhookRequest {
    return {
      url: CALLBACK_URL,
      headers: signed.headers,
      body: JSON.parse(signed.body) as Record<string, unknown>,
      rawBody: Buffer.from(signed.body),
    };
  }

  it('is the telegram channel', () => {
    expect(adapter()).toMatchObject({ name: 'telegram', channel: DeliveryChannel.Telegram });
  });

  describe('send', () => {
    it('POSTs JSON to /sendVerificationMessage with OUR code, the ttl, our verification id and the callback URL', async () => {
      const result = await adapter({ callbackUrl: CALLBACK_URL }).send({ to: RECIPIENT, text: TEXT, otp: OTP });

      expect(result).toEqual({
        messageId: fake.messages[0].id,
        status: DeliveryStatus.Sent,
        cost: { amount: '0.01', currency: 'USD' },
      });
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/sendVerificationMessage');
      expect([...request.query]).toEqual([]);
      expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.accept).toBe('application/json');
      expect(JSON.parse(request.body)).toEqual({
        phone_number: RECIPIENT,
        code: OTP.code,
        ttl: 300,
        payload: OTP.verificationId,
        callback_url: CALLBACK_URL,
      });
      expect(fake.messages[0]).toMatchObject({ code: OTP.code, ownCode: true, payload: OTP.verificationId });
    });

    it('never asks checkSendAbility (billed at once), and sends no callback_url or sender when none is configured', async () => {
      await sent();
      await sent();
      expect(fake.requests.map((request) => request.path)).toEqual([
        '/sendVerificationMessage',
        '/sendVerificationMessage',
      ]);
      expect(Object.keys(JSON.parse(fake.requests[0].body) as object).sort()).toEqual([
        'code',
        'payload',
        'phone_number',
        'ttl',
      ]);
    });

    it.each([
      [10, 30],
      [30, 30],
      [299.7, 299],
      [3600, 3600],
      [86400, 3600],
    ])('clamps a remaining lifetime of %s s to ttl %s (the API accepts 30..3600)', async (ttlSeconds, ttl) => {
      await sent(adapter(), { ...OTP, ttlSeconds });
      expect(JSON.parse(fake.requests[0].body)).toMatchObject({ ttl });
      expect(fake.messages).toHaveLength(1);
    });

    it('sends sender_username when TELEGRAM_SENDER_USERNAME names a verified channel', async () => {
      fake.verifySender('acme_codes');
      await sent(adapter({ senderUsername: 'acme_codes' }));
      expect(JSON.parse(fake.requests[0].body)).toMatchObject({ sender_username: 'acme_codes' });
      expect(fake.messages[0].senderUsername).toBe('acme_codes');
    });

    it('refuses definitely, without calling Telegram, a message that carries no code (a programming error)', async () => {
      const error = await failureOf(adapter().send({ to: RECIPIENT, text: TEXT }));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: 'code_missing', definite: true });
      expect(fake.requests).toEqual([]);
    });

    it('refuses definitely, without calling Telegram, a code the Gateway cannot carry (not 4-8 digits)', async () => {
      const error = await failureOf(adapter().send({ to: RECIPIENT, text: TEXT, otp: { ...OTP, code: '1234567890' } }));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: 'code_unsupported', definite: true });
      expect(fake.requests).toEqual([]);
    });

    it('states the cost Telegram charged (request_cost), as a decimal string in USD', async () => {
      await fake.close();
      fake = await startTelegramFake({ requestCost: 0.0125 });
      const result = await adapter().send({ to: RECIPIENT, text: TEXT, otp: OTP });
      expect(result.cost).toEqual({ amount: '0.0125', currency: 'USD' });
    });
  });

  describe('error classification', () => {
    it.each(['PHONE_NUMBER_NOT_AVAILABLE', 'PHONE_NUMBER_NOT_FOUND'] as const)(
      'a number without Telegram (%s) is a definite refusal: the next link sends at once',
      async (word) => {
        fake.notOnTelegram(RECIPIENT, word);
        const error = await failureOf(sent());
        expect(error).toBeInstanceOf(SmsProviderError);
        expect(error).toMatchObject({ kind: 'rejected', provider: 'telegram', providerCode: word, definite: true });
        expect(error.code).toBe('SMS_PROVIDER_REJECTED');
        expect(fake.messages).toEqual([]);
      },
    );

    it('reads the error word whatever the HTTP status (the SDKs ignore it): ok:false inside a 200', async () => {
      await fake.close();
      fake = await startTelegramFake({ errorHttpStatus: 200 });
      fake.notOnTelegram(RECIPIENT);
      expect(await failureOf(sent())).toMatchObject({
        kind: 'rejected',
        providerCode: 'PHONE_NUMBER_NOT_AVAILABLE',
        definite: true,
      });
    });

    it('a wrong token is ACCESS_TOKEN_INVALID, definite, and the token is never quoted', async () => {
      const error = await failureOf(sent(adapter({ token: `${fake.token}x` })));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: 'ACCESS_TOKEN_INVALID', definite: true });
      expectNoCredentials(error, fake.token);
    });

    it('an invalid number and an empty balance are definite refusals', async () => {
      expect(await failureOf(adapter().send({ to: '+12', text: TEXT, otp: OTP }))).toMatchObject({
        kind: 'rejected',
        providerCode: 'PHONE_NUMBER_INVALID',
        definite: true,
      });
      fake.setBalance(0);
      expect(await failureOf(sent())).toMatchObject({
        kind: 'rejected',
        providerCode: 'BALANCE_NOT_ENOUGH',
        definite: true,
      });
    });

    it('FLOOD_WAIT_n (HTTP 429) is a rate limit: unavailable, yet definite (Telegram took nothing)', async () => {
      fake.floodWait(30);
      const error = await failureOf(sent());
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'FLOOD_WAIT_30', definite: true });
      expect(error.code).toBe('SMS_PROVIDER_UNAVAILABLE');
      expect(error.message).toContain('30 s');
    });

    it('HTTP 5xx is an outage (unavailable, definite) with the envelope error word', async () => {
      fake.failSends(true);
      expect(await failureOf(sent())).toMatchObject({
        kind: 'unavailable',
        providerCode: 'INTERNAL_SERVER_ERROR',
        definite: true,
      });
    });

    it('no answer within the timeout is a definite timeout', async () => {
      fake.hangSends(true);
      expect(await failureOf(sent(adapter({ timeoutMs: 300 })))).toMatchObject({
        kind: 'unavailable',
        providerCode: 'timeout',
        definite: true,
      });
    });

    it('a 200 that cannot be read is not definite: the message may be on its way', async () => {
      fake.malformedSends(true);
      expect(await failureOf(sent())).toMatchObject({
        kind: 'unavailable',
        providerCode: 'malformed_response',
        definite: false,
      });
    });
  });

  describe('status, verification report, revoke, balance', () => {
    it('fetchStatus asks checkVerificationStatus with the request_id only, and follows sent → delivered → read', async () => {
      const provider = adapter();
      const id = await sent(provider);

      expect(await provider.fetchStatus(id)).toEqual({
        messageId: id,
        status: DeliveryStatus.Sent,
        providerStatus: 'sent',
        errorCode: null,
      });
      const check = fake.requests.at(-1)!;
      expect(check.path).toBe('/checkVerificationStatus');
      expect(JSON.parse(check.body)).toEqual({ request_id: id });
      await fake.advance(id);
      expect(await provider.fetchStatus(id)).toMatchObject({
        status: DeliveryStatus.Delivered,
        providerStatus: 'delivered',
      });
      await fake.advance(id);
      expect(await provider.fetchStatus(id)).toMatchObject({ status: DeliveryStatus.Read, providerStatus: 'read' });
      expect(fake.messages[0].checks).toEqual([null, null, null]);
    });

    it('a message not delivered within its ttl reads expired', async () => {
      const provider = adapter();
      const id = await sent(provider);
      await fake.expire(id);
      expect(await provider.fetchStatus(id)).toMatchObject({
        status: DeliveryStatus.Expired,
        providerStatus: 'expired',
      });
      expect(fake.messages[0].isRefunded).toBe(true);
    });

    it('an unknown request_id is REQUEST_ID_INVALID', async () => {
      expect(await failureOf(adapter().fetchStatus('123'))).toMatchObject({
        kind: 'rejected',
        providerCode: 'REQUEST_ID_INVALID',
      });
    });

    it('reportVerified passes the entered code to checkVerificationStatus: Telegram marks it code_valid', async () => {
      const provider = adapter();
      const id = await sent(provider);
      await provider.reportVerified(id, OTP.code);

      expect(JSON.parse(fake.requests.at(-1)!.body)).toEqual({ request_id: id, code: OTP.code });
      expect(fake.messages[0].checks).toEqual([OTP.code]);
      expect(fake.messages[0].verificationStatus).toMatchObject({ status: 'code_valid', code_entered: OTP.code });
    });

    it('revoke calls revokeVerificationMessage; an unread message then reads revoked (failed)', async () => {
      fake.neverDeliver(true);
      const provider = adapter();
      const id = await sent(provider);
      await provider.revoke(id);

      expect(fake.requests.at(-1)!.path).toBe('/revokeVerificationMessage');
      expect(JSON.parse(fake.requests.at(-1)!.body)).toEqual({ request_id: id });
      expect(await provider.fetchStatus(id)).toMatchObject({
        status: DeliveryStatus.Failed,
        providerStatus: 'revoked',
      });
    });

    it('a revoke of a read message is received but changes nothing', async () => {
      const provider = adapter();
      const id = await sent(provider);
      await fake.setStatus(id, 'read');
      await provider.revoke(id);
      expect(await provider.fetchStatus(id)).toMatchObject({ status: DeliveryStatus.Read });
    });

    it('fetchBalance: refused until a send stated remaining_balance, then the last stated balance', async () => {
      await fake.close();
      fake = await startTelegramFake({ balance: 5, requestCost: 0.01 });
      const provider = adapter();
      expect(await failureOf(provider.fetchBalance())).toMatchObject({
        kind: 'unavailable',
        providerCode: 'balance_not_stated',
      });
      await sent(provider);
      expect(await provider.fetchBalance()).toEqual({ balance: '4.99', currency: 'USD' });
      await sent(provider);
      expect(await provider.fetchBalance()).toEqual({ balance: '4.98', currency: 'USD' });
    });
  });

  describe('delivery reports (X-Request-Signature)', () => {
    it('accepts a report signed as Telegram signs it and returns request_id → status', async () => {
      const provider = adapter();
      const id = await sent(provider);
      await fake.advance(id);

      expect(provider.parseDeliveryReport(webhook(fake.signedReport(id)))).toEqual([
        { messageId: id, status: DeliveryStatus.Delivered, providerStatus: 'delivered', errorCode: null },
      ]);
    });

    it('accepts a timestamp up to 300 s old', async () => {
      const id = await sent();
      const signed = fake.signedReport(id, { timestampSeconds: Math.floor(Date.now() / 1000) - 299 });
      expect(adapter().parseDeliveryReport(webhook(signed))).toHaveLength(1);
    });

    it.each([
      ['signed with another token', (signed: Signed) => signed, { token: 'not-the-token' }],
      ['older than 300 s', (signed: Signed) => signed, { offsetSeconds: -301 }],
      ['dated 300 s ahead', (signed: Signed) => signed, { offsetSeconds: 301 }],
      ['without X-Request-Signature', (signed: Signed) => withoutHeader(signed, 'x-request-signature'), {}],
      ['without X-Request-Timestamp', (signed: Signed) => withoutHeader(signed, 'x-request-timestamp'), {}],
      [
        'with a body changed after signing',
        (signed: Signed) => ({ ...signed, body: signed.body.replace('"sent"', '"read"') }),
        {},
      ],
      [
        'with the signature of another timestamp',
        (signed: Signed) => ({
          ...signed,
          headers: {
            ...signed.headers,
            'x-request-timestamp': String(Number(signed.headers['x-request-timestamp']) - 1),
          },
        }),
        {},
      ],
    ])(
      'refuses a report %s',
      async (_case, tamper, { token, offsetSeconds }: { token?: string; offsetSeconds?: number }) => {
        const id = await sent();
        const timestampSeconds =
          offsetSeconds === undefined ? undefined : Math.floor(Date.now() / 1000) + offsetSeconds;
        const request = webhook(tamper(fake.signedReport(id, { token, timestampSeconds })));
        expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
      },
    );

    it('refuses a report whose raw body is missing (nothing to check the signature over)', async () => {
      const id = await sent();
      const request = { ...webhook(fake.signedReport(id)), rawBody: undefined };
      expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
    });

    it('the fake posts each status change, signed, to callback_url and retries until answered 200', async () => {
      await fake.close();
      fake = await startTelegramFake({ stepMs: 20, allowHttpCallbacks: true, retryDelaysMs: [10, 10, 10] });
      const received: RecordedRequest[] = [];
      let refuseFirst = true;
      const receiver = await startFakeHttpServer((request) => {
        received.push(request);
        if (refuseFirst) {
          refuseFirst = false;
          return { status: 500 };
        }
        return { status: 200, body: { success: true } };
      });
      try {
        const provider = adapter({ callbackUrl: `${receiver.origin}/api/v1/sms-auth/webhooks/telegram` });
        const id = await sent(provider);
        await fake.settled();

        const reports = received.map((request) =>
          provider.parseDeliveryReport({
            url: request.path,
            headers: request.headers as Record<string, string>,
            body: request.json as Record<string, unknown>,
            rawBody: Buffer.from(request.body),
          }),
        );
        // delivered (refused once, then retried with the same body), then read.
        expect(reports.map(([report]) => [report.messageId, report.status])).toEqual([
          [id, DeliveryStatus.Delivered],
          [id, DeliveryStatus.Delivered],
          [id, DeliveryStatus.Read],
        ]);
        expect(received[1].body).toBe(received[0].body);
        expect(received[0].json).toMatchObject({ request_id: id, payload: OTP.verificationId, request_cost: 0.01 });
        expect(fake.reports.map((attempt) => attempt.status)).toEqual([500, 200, 200]);
      } finally {
        await receiver.close();
      }
    });
  });
});

type Signed = { body: string; headers: Record<string, string> };

function withoutHeader(signed: Signed, name: string): Signed {
  const headers = { ...signed.headers };
  delete headers[name];
  return { ...signed, headers };
}
