import type { INestApplication } from '@nestjs/common';
import { postWebhook } from '../fakes/fake-http-server';
import { type MessaggioFake, startMessaggioFake } from '../fakes/messaggio.fake';
import { type MobizonFake, startMobizonFake } from '../fakes/mobizon.fake';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { sendCode } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

const WEBHOOKS = '/api/v1/sms-auth/webhooks';

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

async function deliveryOf(t: TestApp, verificationId: string) {
  const { rows } = await t.sql.query(
    `SELECT d.status, d.provider_status, d.error_code, v.delivery_status
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

describe('Twilio status callbacks (X-Twilio-Signature)', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await createTestApp({ env: fake.env });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('records a signed report over the URL as received; a repeated one changes nothing', async () => {
    const sent = await sendCode(t, nextPhone());
    const url = `${baseUrl}${WEBHOOKS}/twilio`;
    const callback = fake.signedCallback(url, sent.body.sms_id, 'delivered');

    expect((await postWebhook(url, callback.body, callback.headers)).status).toBe(200);
    expect(await deliveryOf(t, sent.body.verification_id)).toEqual({
      status: 'delivered',
      provider_status: 'delivered',
      error_code: null,
      delivery_status: 'delivered',
    });
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(1);

    expect((await postWebhook(url, callback.body, callback.headers)).status).toBe(200);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(1);
  });

  it('keeps the vendor error code of a failed delivery, and a late "sent" does not undo it', async () => {
    const sent = await sendCode(t, nextPhone());
    const url = `${baseUrl}${WEBHOOKS}/twilio`;
    const failed = fake.signedCallback(url, sent.body.sms_id, 'undelivered', 30003);
    expect((await postWebhook(url, failed.body, failed.headers)).status).toBe(200);
    const late = fake.signedCallback(url, sent.body.sms_id, 'sent');
    expect((await postWebhook(url, late.body, late.headers)).status).toBe(200);
    expect(await deliveryOf(t, sent.body.verification_id)).toEqual({
      status: 'failed',
      provider_status: 'undelivered',
      error_code: '30003',
      delivery_status: 'failed',
    });
  });

  it('refuses a forged or unsigned report with 401 and changes nothing', async () => {
    const sent = await sendCode(t, nextPhone());
    const url = `${baseUrl}${WEBHOOKS}/twilio`;
    const forged = fake.forgedCallback(url, sent.body.sms_id, 'delivered');
    const refused = await postWebhook(url, forged.body, forged.headers);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text).error.code).toBe('UNAUTHORIZED');

    const signed = fake.signedCallback(url, sent.body.sms_id, 'delivered');
    const { 'x-twilio-signature': _signature, ...unsigned } = signed.headers;
    expect((await postWebhook(url, signed.body, unsigned)).status).toBe(401);

    expect((await deliveryOf(t, sent.body.verification_id)).status).not.toBe('delivered');
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(0);
  });

  it('answers 404 for a provider that is not configured or takes no reports', async () => {
    expect(
      (await postWebhook(`${baseUrl}${WEBHOOKS}/mobizon`, '{}', { 'content-type': 'application/json' })).status,
    ).toBe(404);
    expect(
      (await postWebhook(`${baseUrl}${WEBHOOKS}/console`, '{}', { 'content-type': 'application/json' })).status,
    ).toBe(404);
  });
});

describe('Twilio behind a proxy: signatures over PUBLIC_BASE_URL + path', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let baseUrl: string;
  const publicBaseUrl = 'https://auth.example.com';

  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await createTestApp({ env: { ...fake.env, PUBLIC_BASE_URL: publicBaseUrl } });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('asks Twilio for callbacks at the public URL and accepts reports signed over it', async () => {
    const sent = await sendCode(t, nextPhone());
    const publicUrl = `${publicBaseUrl}${WEBHOOKS}/twilio`;
    expect(fake.messages.at(-1)!.statusCallback).toBe(publicUrl);

    const callback = fake.signedCallback(publicUrl, sent.body.sms_id, 'delivered');
    expect((await postWebhook(`${baseUrl}${WEBHOOKS}/twilio`, callback.body, callback.headers)).status).toBe(200);
    expect((await deliveryOf(t, sent.body.verification_id)).status).toBe('delivered');

    const overLocalUrl = fake.signedCallback(`${baseUrl}${WEBHOOKS}/twilio`, sent.body.sms_id, 'delivered');
    expect((await postWebhook(`${baseUrl}${WEBHOOKS}/twilio`, overLocalUrl.body, overLocalUrl.headers)).status).toBe(
      401,
    );
  });
});

describe('Mobizon delivery reports (sign)', () => {
  let fake: MobizonFake;
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    fake = await startMobizonFake();
    t = await createTestApp({ env: fake.env });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("records a signed report; the vendor's retry of the same event changes nothing", async () => {
    const sent = await sendCode(t, nextPhone());
    const url = `${baseUrl}${WEBHOOKS}/mobizon`;
    const report = fake.signedReport(sent.body.sms_id, 'DELIVRD', { eventId: 7001, attempt: 1 });
    expect((await postWebhook(url, report.body, report.headers)).status).toBe(200);
    const retry = fake.signedReport(sent.body.sms_id, 'DELIVRD', { eventId: 7001, attempt: 2 });
    expect((await postWebhook(url, retry.body, retry.headers)).status).toBe(200);
    expect(await deliveryOf(t, sent.body.verification_id)).toEqual({
      status: 'delivered',
      provider_status: 'DELIVRD',
      error_code: null,
      delivery_status: 'delivered',
    });
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(1);
  });

  it('refuses a report signed with another secret (401) and changes nothing', async () => {
    const sent = await sendCode(t, nextPhone());
    const forged = fake.forgedReport(sent.body.sms_id, 'DELIVRD');
    expect((await postWebhook(`${baseUrl}${WEBHOOKS}/mobizon`, forged.body, forged.headers)).status).toBe(401);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(0);
  });

  it('refuses every report when MOBIZON_WEBHOOK_SECRET is not set', async () => {
    const { MOBIZON_WEBHOOK_SECRET: _secret, ...env } = fake.env;
    const unsecured = await createTestApp({ env });
    try {
      const unsecuredUrl = await listen(unsecured.app);
      const sent = await sendCode(unsecured, nextPhone());
      const report = fake.signedReport(sent.body.sms_id, 'DELIVRD');
      expect((await postWebhook(`${unsecuredUrl}${WEBHOOKS}/mobizon`, report.body, report.headers)).status).toBe(401);
      expect(await deliveryEvents(unsecured, sent.body.verification_id)).toBe(0);
    } finally {
      await unsecured.close();
    }
  });
});

describe('Messaggio delivery reports (secret path token)', () => {
  let fake: MessaggioFake;
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    fake = await startMessaggioFake();
    t = await createTestApp({ env: { ...fake.env, PUBLIC_BASE_URL: 'https://auth.example.com' } });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('asks for reports at the secret path and records those that arrive there', async () => {
    const sent = await sendCode(t, nextPhone());
    const sendRequest = fake.requests.filter((request) => request.path.endsWith('/send')).at(-1)!;
    expect(sendRequest.json.options.dlr_callback_url).toBe(
      `https://auth.example.com${WEBHOOKS}/messaggio/${fake.webhookToken}`,
    );

    const report = fake.deliveryReport(sent.body.sms_id, 70);
    expect(
      (await postWebhook(`${baseUrl}${WEBHOOKS}/messaggio/${report.pathToken}`, report.body, report.headers)).status,
    ).toBe(200);
    expect((await deliveryOf(t, sent.body.verification_id)).status).toBe('delivered');
  });

  it('refuses reports at a guessed path or without the token (401), changing nothing', async () => {
    const sent = await sendCode(t, nextPhone());
    const forged = fake.forgedReport(sent.body.sms_id, 70);
    expect(
      (await postWebhook(`${baseUrl}${WEBHOOKS}/messaggio/${forged.pathToken}`, forged.body, forged.headers)).status,
    ).toBe(401);
    expect((await postWebhook(`${baseUrl}${WEBHOOKS}/messaggio`, forged.body, forged.headers)).status).toBe(401);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(0);
  });
});
