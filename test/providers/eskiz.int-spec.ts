import { DeliveryStatus } from '@app/sms';
import { type EskizOptions, EskizSmsProvider } from '../../libs/sms/src/providers/eskiz/eskiz.sms-provider';
import { type EskizFake, type EskizFakeOptions, startEskizFake } from '../fakes/eskiz.fake';
import { type RecordedRequest, startFakeHttpServer } from '../fakes/fake-http-server';
import { expectNoCredentials, failureOf } from './provider-assertions';

const EMAIL = 'ops@acme.uz';
const PASSWORD = 'Eskiz-S3cret';
const SENDER = 'AcmeUz';
const PHONE = '+998901234567';
const TEXT = 'Acme tasdiqlash kodingiz: 123456. Kod 5 daqiqa amal qiladi.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `POST /api/auth/login`, `POST /api/message/sms/send`, … in the order the fake received them. */
function calls(requests: RecordedRequest[]): string[] {
  return requests.map((request) => `${request.method} ${request.path}`);
}

const LOGIN = 'POST /api/auth/login';
const SEND = 'POST /api/message/sms/send';

describe('EskizSmsProvider against the Eskiz fake', () => {
  let fake: EskizFake;

  async function startFake(options: EskizFakeOptions = {}): Promise<void> {
    fake = await startEskizFake({ email: EMAIL, password: PASSWORD, sender: SENDER, ...options });
  }

  function adapter(options: Partial<EskizOptions> = {}): EskizSmsProvider {
    return new EskizSmsProvider({
      baseUrl: fake.env.ESKIZ_API_URL,
      timeoutMs: 2000,
      email: EMAIL,
      password: PASSWORD,
      sender: SENDER,
      ...options,
    });
  }

  function issuedTokens(): string[] {
    return fake.requests
      .filter((request) => request.headers.authorization)
      .map((request) => String(request.headers.authorization).replace(/^Bearer /, ''));
  }

  beforeEach(() => startFake());
  afterEach(() => fake.close());

  describe('send', () => {
    it('logs in with a form body, then POSTs /message/sms/send form-encoded with the bearer token', async () => {
      const result = await adapter().send({ to: PHONE, text: TEXT });

      expect(calls(fake.requests)).toEqual([LOGIN, SEND]);
      const [login, send] = fake.requests;
      expect(login.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(login.headers.authorization).toBeUndefined();
      expect(Object.fromEntries(login.form!)).toEqual({ email: EMAIL, password: PASSWORD });

      expect(send.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(send.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(Object.fromEntries(send.form!)).toEqual({ mobile_phone: '998901234567', message: TEXT, from: SENDER });

      expect(result).toEqual({ messageId: expect.stringMatching(UUID), status: DeliveryStatus.Queued });
      expect(fake.messages).toEqual([{ id: result.messageId, to: '998901234567', text: TEXT }]);
    });

    it('sends callback_url when one is configured', async () => {
      await adapter({ callbackUrl: 'https://auth.acme.uz/api/v1/sms-auth/webhooks/eskiz' }).send({
        to: PHONE,
        text: TEXT,
      });

      expect(fake.requests[1].form!.get('callback_url')).toBe('https://auth.acme.uz/api/v1/sms-auth/webhooks/eskiz');
    });

    it("sends from Eskiz's shared number 4546 when no sender is configured", async () => {
      await adapter({ sender: undefined }).send({ to: PHONE, text: TEXT });

      expect(fake.requests[1].form!.get('from')).toBe('4546');
    });
  });

  describe('the token', () => {
    it('is obtained on first use and kept for later calls', async () => {
      const provider = adapter();
      expect(fake.requests).toEqual([]);

      const { messageId } = await provider.send({ to: PHONE, text: TEXT });
      await provider.send({ to: PHONE, text: TEXT });
      await provider.fetchStatus(messageId);
      await provider.fetchBalance();

      expect(calls(fake.requests).filter((call) => call === LOGIN)).toHaveLength(1);
      expect(new Set(issuedTokens()).size).toBe(1);
    });

    it('is fetched by one login shared by concurrent first calls', async () => {
      const provider = adapter();

      await Promise.all([1, 2, 3].map(() => provider.send({ to: PHONE, text: TEXT })));

      expect(calls(fake.requests)).toEqual([LOGIN, SEND, SEND, SEND]);
    });

    it('is renewed by logging in again once it expires (401), and the call is retried', async () => {
      const provider = adapter();
      await provider.send({ to: PHONE, text: TEXT });
      fake.expireTokens();

      const result = await provider.send({ to: PHONE, text: TEXT });

      expect(calls(fake.requests)).toEqual([LOGIN, SEND, SEND, LOGIN, SEND]);
      const [first, stale, renewed] = issuedTokens();
      expect(stale).toBe(first);
      expect(renewed).not.toBe(first);
      expect(fake.messages.map((message) => message.id)).toContain(result.messageId);
    });

    it('is renewed by one login shared by concurrent calls that met the expiry', async () => {
      const provider = adapter();
      await provider.send({ to: PHONE, text: TEXT });
      fake.expireTokens();

      await Promise.all([1, 2, 3].map(() => provider.send({ to: PHONE, text: TEXT })));

      expect(calls(fake.requests).filter((call) => call === LOGIN)).toHaveLength(2);
      expect(fake.messages).toHaveLength(4);
    });

    it('is renewed only once: a second 401 is a rejection', async () => {
      fake.rejectEveryToken(true);

      const error = await failureOf(adapter().send({ to: PHONE, text: TEXT }));

      expect(calls(fake.requests)).toEqual([LOGIN, SEND, LOGIN, SEND]);
      expect(error).toMatchObject({ kind: 'rejected', provider: 'eskiz', providerCode: '401', definite: true });
      expectNoCredentials(error, EMAIL, PASSWORD, ...issuedTokens());
    });
  });

  describe('error mapping', () => {
    it('maps bad login credentials to rejected and sends nothing', async () => {
      const error = await failureOf(adapter({ password: 'wrong-password' }).send({ to: PHONE, text: TEXT }));

      expect(calls(fake.requests)).toEqual([LOGIN]);
      expect(error).toMatchObject({ kind: 'rejected', provider: 'eskiz', providerCode: '401', definite: true });
      expect(error.message).toContain('login');
      expectNoCredentials(error, EMAIL, 'wrong-password');
    });

    it('tries to log in again on the next call after a failed login', async () => {
      const provider = adapter({ password: 'wrong-password' });
      await failureOf(provider.send({ to: PHONE, text: TEXT }));
      await failureOf(provider.send({ to: PHONE, text: TEXT }));

      expect(calls(fake.requests)).toEqual([LOGIN, LOGIN]);
    });

    it.each([
      {
        case: 'a text outside the approved templates',
        fakeOptions: { templates: ['This is test from Eskiz'] },
        arrange: (): void => undefined,
        to: PHONE,
        expected: { kind: 'rejected', providerCode: '400' },
      },
      {
        case: 'an invalid number',
        fakeOptions: {},
        arrange: (): void => undefined,
        to: '+99890123',
        expected: { kind: 'rejected', providerCode: '422' },
      },
      {
        case: 'insufficient funds',
        fakeOptions: {},
        arrange: (): void => fake.insufficientFunds(true),
        to: PHONE,
        expected: { kind: 'rejected', providerCode: '400' },
      },
      {
        case: 'the rate limit (HTTP 429)',
        fakeOptions: {},
        arrange: (): void => fake.rateLimit(true),
        to: PHONE,
        expected: { kind: 'unavailable', providerCode: '429' },
      },
      {
        case: 'an outage (HTTP 500)',
        fakeOptions: {},
        arrange: (): void => fake.failSends(true),
        to: PHONE,
        expected: { kind: 'unavailable', providerCode: '500' },
      },
    ])('maps $case', async ({ fakeOptions, arrange, to, expected }) => {
      await fake.close();
      await startFake(fakeOptions);
      arrange();

      const error = await failureOf(adapter().send({ to, text: TEXT }));

      expect(error).toMatchObject({ ...expected, provider: 'eskiz', definite: true });
      expectNoCredentials(error, EMAIL, PASSWORD, ...issuedTokens());
      expect(fake.messages).toEqual([]);
    });

    it('accepts a text that matches an approved template', async () => {
      await fake.close();
      await startFake({ templates: ['This is test from Eskiz'] });

      await expect(adapter().send({ to: PHONE, text: 'This is test from Eskiz' })).resolves.toMatchObject({
        status: DeliveryStatus.Queued,
      });
    });

    it('maps an unreadable 2xx reply to unavailable, not definite (the message may be on its way)', async () => {
      fake.malformedSends(true);

      const error = await failureOf(adapter().send({ to: PHONE, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: false });
    });

    it('maps a login reply without a token to a definite unavailable', async () => {
      const vendor = await startFakeHttpServer(() => ({ status: 200, body: { message: 'token_generated', data: {} } }));
      try {
        const provider = new EskizSmsProvider({
          baseUrl: vendor.origin,
          timeoutMs: 2000,
          email: EMAIL,
          password: PASSWORD,
        });

        const error = await failureOf(provider.send({ to: PHONE, text: TEXT }));

        expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: true });
        expect(vendor.requests).toHaveLength(1);
      } finally {
        await vendor.close();
      }
    });

    it('keeps credentials out of a vendor message that echoes them', async () => {
      const vendor = await startFakeHttpServer(() => ({
        status: 401,
        body: { message: `Login ${EMAIL} with password ${PASSWORD} failed` },
      }));
      try {
        const provider = new EskizSmsProvider({
          baseUrl: vendor.origin,
          timeoutMs: 2000,
          email: EMAIL,
          password: PASSWORD,
        });

        const error = await failureOf(provider.send({ to: PHONE, text: TEXT }));

        expect(error).toMatchObject({ kind: 'rejected', providerCode: '401' });
        expectNoCredentials(error, EMAIL, PASSWORD);
      } finally {
        await vendor.close();
      }
    });

    it('maps a reply that never comes to timeout', async () => {
      fake.hangSends(true);

      const error = await failureOf(adapter({ timeoutMs: 300 }).send({ to: PHONE, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
    });

    it('maps a refused connection to connection_failed', async () => {
      const closed = await startFakeHttpServer(() => ({ status: 200 }));
      await closed.close();

      const error = await failureOf(
        new EskizSmsProvider({
          baseUrl: `${closed.origin}/api`,
          timeoutMs: 2000,
          email: EMAIL,
          password: PASSWORD,
        }).send({ to: PHONE, text: TEXT }),
      );

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
    });
  });

  describe('fetchStatus', () => {
    it('GETs /message/sms/status_by_id/{id} with the bearer token', async () => {
      const provider = adapter();
      const { messageId } = await provider.send({ to: PHONE, text: TEXT });

      const report = await provider.fetchStatus(messageId);

      const request = fake.requests[2];
      expect(`${request.method} ${request.path}`).toBe(`GET /api/message/sms/status_by_id/${messageId}`);
      expect(request.headers.authorization).toBe(fake.requests[1].headers.authorization);
      expect(report).toEqual({ messageId, status: DeliveryStatus.Queued, providerStatus: 'waiting', errorCode: null });
    });

    it.each([
      ['waiting', DeliveryStatus.Queued],
      ['new', DeliveryStatus.Queued],
      ['stored', DeliveryStatus.Queued],
      ['accepted', DeliveryStatus.Sent],
      ['partdelivered', DeliveryStatus.Sent],
      ['delivered', DeliveryStatus.Delivered],
      ['DELIVERED', DeliveryStatus.Delivered],
      ['rejected', DeliveryStatus.Failed],
      ['expired', DeliveryStatus.Expired],
      ['transmitting', DeliveryStatus.Unknown],
    ])('maps the status %p to %p', async (vendorStatus, expected) => {
      const provider = adapter();
      const { messageId } = await provider.send({ to: PHONE, text: TEXT });
      fake.setStatus(messageId, vendorStatus);

      await expect(provider.fetchStatus(messageId)).resolves.toEqual({
        messageId,
        status: expected,
        providerStatus: vendorStatus,
        errorCode: null,
      });
    });

    it('reports delivered after the fake delivers the message', async () => {
      const provider = adapter();
      const { messageId } = await provider.send({ to: PHONE, text: TEXT });
      fake.deliver(messageId);

      await expect(provider.fetchStatus(messageId)).resolves.toMatchObject({
        status: DeliveryStatus.Delivered,
        providerStatus: 'delivered',
      });
    });

    it('maps an unknown id (HTTP 404) to rejected', async () => {
      const error = await failureOf(adapter().fetchStatus('00000000-0000-4000-8000-000000000000'));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '404' });
    });
  });

  describe('fetchBalance', () => {
    it('GETs /user/get-limit and returns the numeric balance as an unrounded string, currency not stated', async () => {
      await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '125000.75', currency: null });

      expect(calls(fake.requests)).toEqual([LOGIN, 'GET /api/user/get-limit']);
      expect(fake.requests[1].headers.authorization).toMatch(/^Bearer /);
    });

    it('renews an expired token for a balance query too', async () => {
      const provider = adapter();
      await provider.fetchBalance();
      fake.expireTokens();

      await expect(provider.fetchBalance()).resolves.toMatchObject({ balance: '125000.75' });
      expect(calls(fake.requests).filter((call) => call === LOGIN)).toHaveLength(2);
    });
  });

  describe('the fake', () => {
    it('accepts the login as multipart/form-data and as JSON', async () => {
      const multipart = new FormData();
      multipart.append('email', EMAIL);
      multipart.append('password', PASSWORD);
      const viaMultipart = await fetch(`${fake.env.ESKIZ_API_URL}/auth/login`, { method: 'POST', body: multipart });
      const viaJson = await fetch(`${fake.env.ESKIZ_API_URL}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
      });

      const expected = { message: 'token_generated', data: { token: expect.any(String) }, token_type: 'bearer' };
      expect(await viaMultipart.json()).toEqual(expected);
      expect(await viaJson.json()).toEqual(expected);
    });
  });
});
