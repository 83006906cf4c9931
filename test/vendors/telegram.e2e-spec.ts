import type { INestApplication } from '@nestjs/common';
import { InvalidConfigError, validateEnv } from '@app/config';
import { postWebhook } from '../fakes/fake-http-server';
import { type MobizonFake, startMobizonFake } from '../fakes/mobizon.fake';
import { startTelegramFake, type TelegramFake } from '../fakes/telegram.fake';
import { sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

const WEBHOOK_PATH = '/api/v1/sms-auth/webhooks/telegram';
/** What the service is reachable at for Telegram: a TLS proxy in front of the test app (Telegram wants HTTPS). */
const PUBLIC_BASE_URL = 'https://auth.sms-auth.test';

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

async function attemptsOf(t: TestApp, verificationId: string) {
  const { rows } = await t.sql.query(
    `SELECT attempt_number, provider, channel, status, error_code, provider_message_id, cost::text AS cost, cost_currency
       FROM sms_deliveries WHERE verification_id = $1 ORDER BY attempt_number`,
    [verificationId],
  );
  return rows;
}

async function deliveryOf(t: TestApp, verificationId: string) {
  const { rows } = await t.sql.query(
    `SELECT d.status, d.provider_status, v.delivery_status
       FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id WHERE v.id = $1`,
    [verificationId],
  );
  return rows[0];
}

async function deliveryEvents(t: TestApp, verificationId: string): Promise<number> {
  const { rows } = await t.sql.query(
    `SELECT count(*)::int AS n FROM audit_events WHERE verification_id = $1 AND type = 'delivery_updated'`,
    [verificationId],
  );
  return rows[0].n;
}

const ADMIN_API_KEY = 'telegram-e2e-admin-key-0123456789';

describe('Telegram Gateway as the provider (SMS_PROVIDER=telegram)', () => {
  let fake: TelegramFake;
  let t: TestApp;
  let baseUrl = '';

  beforeAll(async () => {
    fake = await startTelegramFake({
      retryDelaysMs: [20, 40],
      deliverTo: (url) => url.replace(PUBLIC_BASE_URL, baseUrl),
    });
    t = await createTestApp({ env: { ...fake.env, PUBLIC_BASE_URL, ADMIN_API_KEY } });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('sends OUR code with the ttl, our verification id and the callback URL; that code verifies', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);

    const message = fake.messages.at(-1)!;
    expect(message).toMatchObject({
      to: phone,
      code: sent.body.debug_code,
      ownCode: true,
      payload: sent.body.verification_id,
      callbackUrl: `${PUBLIC_BASE_URL}${WEBHOOK_PATH}`,
    });
    expect(message.ttl).toBeGreaterThanOrEqual(290);
    expect(message.ttl).toBeLessThanOrEqual(300);
    expect(sent.body.sms_id).toBe(message.id);
    expect(fake.requests.some((request) => request.path.toLowerCase() === '/checksendability')).toBe(false);

    expect(await attemptsOf(t, sent.body.verification_id)).toEqual([
      {
        attempt_number: 1,
        provider: 'telegram',
        channel: 'telegram',
        status: 'sent',
        error_code: null,
        provider_message_id: message.id,
        cost: '0.010000',
        cost_currency: 'USD',
      },
    ]);
    expect((await verify(t, phone, message.code)).status).toBe(200);
  });

  it("Telegram's signed reports at the callback URL move the delivery to delivered, then read; a repeat answers 200 and changes nothing", async () => {
    const sent = await sendCode(t, nextPhone());
    const id = fake.messages.at(-1)!.id;

    await fake.advance(id);
    await fake.settled();
    expect(fake.reports.filter((report) => report.requestId === id).map((report) => report.status)).toEqual([200]);
    expect(await deliveryOf(t, sent.body.verification_id)).toEqual({
      status: 'delivered',
      provider_status: 'delivered',
      delivery_status: 'delivered',
    });
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(1);

    const repeated = await fake.postReport(id, `${baseUrl}${WEBHOOK_PATH}`);
    expect(repeated.status).toBe(200);
    expect(JSON.parse(repeated.text)).toEqual({ success: true, updated: 0, received: 1 });
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(1);

    await fake.advance(id);
    await fake.settled();
    expect(await deliveryOf(t, sent.body.verification_id)).toEqual({
      status: 'read',
      provider_status: 'read',
      delivery_status: 'read',
    });
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(2);
  });

  it('a read code counts as delivered in the admin stats, under the telegram channel', async () => {
    const sent = await sendCode(t, nextPhone());
    const id = fake.messages.at(-1)!.id;
    await fake.advance(id);
    await fake.advance(id);
    await fake.settled();
    expect((await deliveryOf(t, sent.body.verification_id)).delivery_status).toBe('read');
    const { rows } = await t.sql.query(
      `SELECT count(*) FILTER (WHERE delivery_status IN ('delivered', 'read'))::int AS delivered,
              count(*) FILTER (WHERE delivery_status = 'read')::int AS read FROM sms_verifications`,
    );
    expect(rows[0].read).toBeGreaterThan(0);
    const stats = await t.http
      .get(`/api/v1/admin/stats?group_by=channel&from=${new Date(Date.now() - 3_600_000).toISOString()}`)
      .set('Authorization', `Bearer ${ADMIN_API_KEY}`);
    expect(stats.status).toBe(200);
    expect(stats.body.totals.delivered).toBe(rows[0].delivered);
    const telegram = stats.body.groups.find((group: { key: string }) => group.key === 'telegram');
    expect(telegram.delivered).toBe(rows[0].delivered);
  });

  it.each([
    ['signed with another token', { token: 'not-the-gateway-token' }, (headers: Record<string, string>) => headers],
    ['older than 300 s', { offsetSeconds: -400 }, (headers: Record<string, string>) => headers],
    ['without a signature', {}, ({ 'x-request-signature': _signature, ...headers }: Record<string, string>) => headers],
  ])('refuses a report %s with 401, and nothing changes', async (_case, options, tamper) => {
    const sent = await sendCode(t, nextPhone());
    const id = fake.messages.at(-1)!.id;
    // Delivered at Telegram, its report not (yet) received: a forged one must not stand in for it.
    await fake.setStatus(id, 'delivered', { report: false });
    const eventsBefore = await deliveryEvents(t, sent.body.verification_id);
    const timestampSeconds =
      'offsetSeconds' in options ? Math.floor(Date.now() / 1000) + options.offsetSeconds : undefined;
    const signed = fake.signedReport(id, { token: 'token' in options ? options.token : undefined, timestampSeconds });

    const response = await postWebhook(`${baseUrl}${WEBHOOK_PATH}`, signed.body, tamper(signed.headers));
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text)).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    expect((await deliveryOf(t, sent.body.verification_id)).status).toBe('sent');
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(eventsBefore);
  });
});

describe('Telegram first, SMS after it: SMS_ROUTES="KZ=telegram,mobizon"', () => {
  let telegram: TelegramFake;
  let mobizon: MobizonFake;
  let t: TestApp;

  beforeAll(async () => {
    [telegram, mobizon] = await Promise.all([startTelegramFake(), startMobizonFake()]);
    const { SMS_PROVIDER: _telegram, ...telegramEnv } = telegram.env;
    t = await createTestApp({
      env: { ...telegramEnv, ...mobizon.env, SMS_PROVIDER: 'mobizon', SMS_ROUTES: 'KZ=telegram,mobizon' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([telegram?.close(), mobizon?.close()]);
  });

  it('a Telegram user gets the code through Telegram only', async () => {
    const smsBefore = mobizon.messages.length;
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    expect(telegram.messages.at(-1)).toMatchObject({ to: phone, code: sent.body.debug_code });
    expect(mobizon.messages).toHaveLength(smsBefore);
    expect((await attemptsOf(t, sent.body.verification_id)).map((row) => [row.provider, row.channel])).toEqual([
      ['telegram', 'telegram'],
    ]);
  });

  it('a number without Telegram gets the same code by SMS within the same request, and it verifies', async () => {
    const phone = nextPhone();
    telegram.notOnTelegram(phone);
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);

    const sms = mobizon.messages.at(-1)!;
    expect(sms.to).toBe(phone.slice(1));
    expect(sms.text).toContain(sent.body.debug_code);
    expect(sent.body.sms_id).toBe(sms.id);
    expect(await attemptsOf(t, sent.body.verification_id)).toEqual([
      expect.objectContaining({
        attempt_number: 1,
        provider: 'telegram',
        channel: 'telegram',
        status: 'failed',
        error_code: 'PHONE_NUMBER_NOT_AVAILABLE',
        cost: null,
      }),
      expect.objectContaining({ attempt_number: 2, provider: 'mobizon', channel: 'sms', status: 'queued' }),
    ]);
    expect(telegram.messages.some((message) => message.to === phone)).toBe(false);
    expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
  });

  it('a Telegram rate limit (FLOOD_WAIT) also hands the code to SMS at once', async () => {
    telegram.floodWait(30);
    try {
      const sent = await sendCode(t, nextPhone());
      expect(sent.status).toBe(200);
      expect((await attemptsOf(t, sent.body.verification_id)).map((row) => [row.provider, row.error_code])).toEqual([
        ['telegram', 'FLOOD_WAIT_30'],
        ['mobizon', null],
      ]);
    } finally {
      telegram.floodWait(null);
    }
  });
});

describe('Telegram credentials at boot', () => {
  const base = { JWT_SECRET: 'a'.repeat(32), OTP_SECRET: 'b'.repeat(32) };

  it.each([
    ['SMS_PROVIDER=telegram', { SMS_PROVIDER: 'telegram' }],
    [
      'SMS_ROUTES="KZ=telegram,mobizon"',
      { SMS_PROVIDER: 'mobizon', MOBIZON_API_KEY: 'k', SMS_ROUTES: 'KZ=telegram,mobizon' },
    ],
  ])('%s without TELEGRAM_GATEWAY_TOKEN refuses to boot, naming the setting', (_case, env) => {
    let error: unknown;
    try {
      validateEnv({ ...base, ...env });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(String((error as Error).message)).toContain('TELEGRAM_GATEWAY_TOKEN');
  });

  it('boots with the token', () => {
    expect(() => validateEnv({ ...base, SMS_PROVIDER: 'telegram', TELEGRAM_GATEWAY_TOKEN: 't0ken' })).not.toThrow();
  });
});
