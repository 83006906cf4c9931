import { DeliveryStatus } from '@app/sms';
import { type GreenSmsOptions, GreenSmsProvider } from '../../libs/sms/src/providers/greensms/greensms.sms-provider';
import { startFakeHttpServer } from '../fakes/fake-http-server';
import { type GreenSmsFake, type GreenSmsFakeOptions, startGreenSmsFake } from '../fakes/greensms.fake';
import { expectNoCredentials, failureOf } from './provider-assertions';

const USER = 'acme-user';
const PASSWORD = 'S3cret-Passw0rd';
const SENDER = 'AcmeAuth';
const PHONE = '+79001234567';
const TEXT = 'Your Acme verification code: 123456. It is valid for 5 minutes.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('GreenSmsProvider against the GreenSMS fake', () => {
  let fake: GreenSmsFake;

  async function startFake(options: GreenSmsFakeOptions = {}): Promise<void> {
    fake = await startGreenSmsFake({ user: USER, password: PASSWORD, sender: SENDER, ...options });
  }

  function adapter(options: Partial<GreenSmsOptions> = {}): GreenSmsProvider {
    return new GreenSmsProvider({
      baseUrl: fake.server.origin,
      timeoutMs: 2000,
      user: USER,
      password: PASSWORD,
      sender: SENDER,
      ...options,
    });
  }

  beforeEach(() => startFake());
  afterEach(() => fake.close());

  describe('send with user and password', () => {
    it('POSTs /sms/send with a JSON body carrying user, pass, to (digits), txt and from', async () => {
      const result = await adapter().send({ to: PHONE, text: TEXT });

      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/sms/send');
      expect([...request.query.keys()]).toEqual([]);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBeUndefined();
      expect(request.json).toEqual({ user: USER, pass: PASSWORD, to: '79001234567', txt: TEXT, from: SENDER });

      expect(result).toEqual({ messageId: expect.stringMatching(UUID), status: DeliveryStatus.Queued });
      expect(fake.messages).toEqual([{ id: result.messageId, to: '79001234567', text: TEXT }]);
    });

    it('leaves `from` out when no sender is configured', async () => {
      await adapter({ sender: undefined }).send({ to: PHONE, text: TEXT });

      expect(fake.requests[0].json).toEqual({ user: USER, pass: PASSWORD, to: '79001234567', txt: TEXT });
    });
  });

  describe('with a token', () => {
    it('sends it as a Bearer header and never sends user or pass', async () => {
      const token = fake.issueToken();
      const provider = adapter({ user: undefined, password: undefined, token });

      const { messageId } = await provider.send({ to: PHONE, text: TEXT });
      await provider.fetchStatus(messageId);
      await provider.fetchBalance();

      expect(fake.requests.map((request) => request.headers.authorization)).toEqual([
        `Bearer ${token}`,
        `Bearer ${token}`,
        `Bearer ${token}`,
      ]);
      expect(fake.requests[0].json).toEqual({ to: '79001234567', txt: TEXT, from: SENDER });
      expect(Object.fromEntries(fake.requests[1].query)).toEqual({ id: messageId, extended: 'true' });
      expect(fake.requests[2].path).toBe('/account/balance');
      expect([...fake.requests[2].query.keys()]).toEqual([]);
    });

    it('maps an expired token to rejected code 0', async () => {
      const token = fake.issueToken();
      fake.expireTokens();

      const error = await failureOf(
        adapter({ user: undefined, password: undefined, token }).send({ to: PHONE, text: TEXT }),
      );

      expect(error).toMatchObject({ kind: 'rejected', provider: 'greensms', providerCode: '0', definite: true });
      expectNoCredentials(error, token);
    });
  });

  describe('error mapping', () => {
    it.each([
      {
        case: 'bad credentials',
        arrange: () => undefined,
        options: { password: 'wrong-password' },
        to: PHONE,
        expected: { kind: 'rejected', providerCode: '0' },
      },
      {
        case: 'insufficient funds',
        arrange: () => fake.insufficientFunds(true),
        options: {},
        to: PHONE,
        expected: { kind: 'rejected', providerCode: '-1' },
      },
      {
        case: 'an invalid number (validation error)',
        arrange: () => undefined,
        options: {},
        to: '+12345',
        expected: { kind: 'rejected', providerCode: '1' },
      },
      {
        case: 'a sender longer than 11 characters (validation error)',
        arrange: () => undefined,
        options: { sender: 'FarTooLongSender' },
        to: PHONE,
        expected: { kind: 'rejected', providerCode: '1' },
      },
      {
        case: 'the rate limit (HTTP 429)',
        arrange: () => fake.rateLimit(true),
        options: {},
        to: PHONE,
        expected: { kind: 'unavailable', providerCode: '429' },
      },
      {
        case: 'an outage (HTTP 503)',
        arrange: () => fake.failSends(true),
        options: {},
        to: PHONE,
        expected: { kind: 'unavailable', providerCode: '503' },
      },
    ])('maps $case', async ({ arrange, options, to, expected }) => {
      arrange();

      const error = await failureOf(adapter(options).send({ to, text: TEXT }));

      expect(error).toMatchObject({ ...expected, provider: 'greensms', definite: true });
      expectNoCredentials(error, PASSWORD, 'wrong-password');
      expect(fake.messages).toEqual([]);
    });

    it('reads `{error, code}` whatever the HTTP status', async () => {
      await fake.close();
      await startFake({ errorHttpStatus: 401 });

      const error = await failureOf(adapter({ password: 'wrong-password' }).send({ to: PHONE, text: TEXT }));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '0', definite: true });
    });

    it('maps an unlisted error code to unavailable and keeps credentials out of the message', async () => {
      const vendor = await startFakeHttpServer(() => ({
        status: 200,
        body: { error: `Internal failure for ${USER}/${PASSWORD}`, code: 7 },
      }));
      try {
        const provider = new GreenSmsProvider({
          baseUrl: vendor.origin,
          timeoutMs: 2000,
          user: USER,
          password: PASSWORD,
        });

        const error = await failureOf(provider.send({ to: PHONE, text: TEXT }));

        expect(error).toMatchObject({ kind: 'unavailable', providerCode: '7', definite: true });
        expectNoCredentials(error, USER, PASSWORD);
      } finally {
        await vendor.close();
      }
    });

    it('maps an unreadable 2xx reply to unavailable, not definite (the message may be on its way)', async () => {
      fake.malformedSends(true);

      const error = await failureOf(adapter().send({ to: PHONE, text: TEXT }));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: false });
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
        new GreenSmsProvider({ baseUrl: closed.origin, timeoutMs: 2000, user: USER, password: PASSWORD }).send({
          to: PHONE,
          text: TEXT,
        }),
      );

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
    });
  });

  describe('fetchStatus', () => {
    it('GETs /sms/status with id, extended=true and the credentials in the query string', async () => {
      const provider = adapter();
      const { messageId } = await provider.send({ to: PHONE, text: TEXT });

      const report = await provider.fetchStatus(messageId);

      const request = fake.requests[1];
      expect(request.method).toBe('GET');
      expect(request.path).toBe('/sms/status');
      expect(Object.fromEntries(request.query)).toEqual({
        id: messageId,
        extended: 'true',
        user: USER,
        pass: PASSWORD,
      });
      expect(report).toEqual({ messageId, status: DeliveryStatus.Sent, providerStatus: 'Accepted', errorCode: null });
    });

    it.each([
      ['Accepted', DeliveryStatus.Sent],
      ['Sent', DeliveryStatus.Sent],
      ['Enroute', DeliveryStatus.Sent],
      ['Queued', DeliveryStatus.Queued],
      ['Pending', DeliveryStatus.Queued],
      ['Delivered', DeliveryStatus.Delivered],
      ['Undelivered', DeliveryStatus.Failed],
      ['Rejected', DeliveryStatus.Failed],
      ['Failed', DeliveryStatus.Failed],
      ['Error', DeliveryStatus.Failed],
      ['Expired', DeliveryStatus.Expired],
      ['Moderation', DeliveryStatus.Unknown],
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

      await expect(provider.fetchStatus(messageId)).resolves.toMatchObject({ status: DeliveryStatus.Delivered });
    });

    it('maps an unknown id (code 404) to rejected', async () => {
      const error = await failureOf(adapter().fetchStatus('00000000-0000-4000-8000-000000000000'));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '404' });
    });
  });

  describe('fetchBalance', () => {
    it('GETs /account/balance and keeps a string balance exactly as stated', async () => {
      await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '1234.5600', currency: null });

      const [request] = fake.requests;
      expect(request.method).toBe('GET');
      expect(request.path).toBe('/account/balance');
      expect(Object.fromEntries(request.query)).toEqual({ user: USER, pass: PASSWORD });
    });

    it('turns a numeric balance into a string without rounding it', async () => {
      await fake.close();
      await startFake({ balance: 1500.75 });

      await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '1500.75', currency: null });
    });

    it('maps bad credentials to rejected code 0', async () => {
      const error = await failureOf(adapter({ password: 'wrong-password' }).fetchBalance());

      expect(error).toMatchObject({ kind: 'rejected', providerCode: '0' });
      expectNoCredentials(error, 'wrong-password');
    });
  });

  describe('the fake', () => {
    it('accepts user and pass in the query string (Node SDK) and in a form body', async () => {
      const viaQuery = await fetch(
        `${fake.server.origin}/sms/send?user=${USER}&pass=${PASSWORD}&to=79001234567&txt=hi`,
        { method: 'POST' },
      );
      const viaForm = await fetch(`${fake.server.origin}/sms/send`, {
        method: 'POST',
        body: new URLSearchParams({ user: USER, pass: PASSWORD, to: '79001234567', txt: 'hi' }),
      });

      expect(await viaQuery.json()).toEqual({ request_id: expect.stringMatching(UUID) });
      expect(await viaForm.json()).toEqual({ request_id: expect.stringMatching(UUID) });
    });

    it('issues tokens at POST /account/token', async () => {
      const reply = await fetch(`${fake.server.origin}/account/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: USER, pass: PASSWORD, expire: 3600 }),
      });
      const { access_token: token } = (await reply.json()) as { access_token: string };

      await expect(adapter({ user: undefined, password: undefined, token }).fetchBalance()).resolves.toMatchObject({
        balance: '1234.5600',
      });
    });
  });
});
