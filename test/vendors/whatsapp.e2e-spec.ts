import type { INestApplication } from '@nestjs/common';
import { type EskizFake, startEskizFake } from '../fakes/eskiz.fake';
import { postWebhook } from '../fakes/fake-http-server';
import { startWhatsAppFake, type WhatsAppFake } from '../fakes/whatsapp.fake';
import { sendCode, verify } from '../support/http-helpers';
import { createTestDatabase } from '../support/test-database';
import { createTestApp, nextPhone, nextUzbekPhone, type TestApp } from '../support/test-app';

const WEBHOOKS = '/api/v1/sms-auth/webhooks';

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

async function deliveriesOf(t: TestApp, verificationId: string) {
  const { rows } = await t.sql.query(
    `SELECT d.channel, d.provider, d.provider_message_id, d.status, d.provider_status, d.error_code,
            v.delivery_status
       FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id
      WHERE v.id = $1 ORDER BY d.attempt_number`,
    [verificationId],
  );
  return rows;
}

async function deliveryEvents(t: TestApp, verificationId: string): Promise<number> {
  const { rows } = await t.sql.query(
    `SELECT count(*)::int AS n FROM audit_events WHERE verification_id = $1 AND type = 'delivery_updated'`,
    [verificationId],
  );
  return rows[0].n;
}

describe('WhatsApp (Cloud API authentication template) end to end', () => {
  let fake: WhatsAppFake;
  let t: TestApp;
  let baseUrl: string;
  let webhookUrl: string;

  beforeAll(async () => {
    fake = await startWhatsAppFake({ retryDelayMs: 20 });
    t = await createTestApp({ env: { ...fake.env, SMS_PROVIDER_TIMEOUT_MS: '2000' } });
    baseUrl = await listen(t.app);
    webhookUrl = `${baseUrl}${WEBHOOKS}/whatsapp`;
    fake.setWebhookUrl(webhookUrl);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('sends OUR code in the template body and copy-code button; the code verifies; the attempt is channel whatsapp', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);

    const message = fake.messages.at(-1)!;
    expect(message.to).toBe(phone.slice(1));
    expect(message.bodyCode).toBe(sent.body.debug_code);
    expect(message.buttonCode).toBe(sent.body.debug_code);
    const request = fake.requests.at(-1)!;
    expect(request.json.template.components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: sent.body.debug_code }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: sent.body.debug_code }] },
    ]);
    expect(sent.body.sms_id).toBe(message.id);
    expect(await deliveriesOf(t, sent.body.verification_id)).toEqual([
      {
        channel: 'whatsapp',
        provider: 'whatsapp',
        provider_message_id: message.id,
        status: 'sent',
        provider_status: null,
        error_code: null,
        delivery_status: 'sent',
      },
    ]);

    expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
  });

  it("follows the fake's signed webhooks (sent → delivered → read) to read; a repeated report answers 200 and changes nothing", async () => {
    const sent = await sendCode(t, nextPhone());
    const id = sent.body.sms_id as string;

    await fake.advance(id);
    await fake.advance(id);
    expect(await deliveriesOf(t, sent.body.verification_id)).toEqual([
      expect.objectContaining({ status: 'delivered', provider_status: 'delivered', delivery_status: 'delivered' }),
    ]);
    await fake.advance(id);
    expect(await deliveriesOf(t, sent.body.verification_id)).toEqual([
      expect.objectContaining({ status: 'read', provider_status: 'read', delivery_status: 'read' }),
    ]);
    expect(fake.webhookAttempts.filter((attempt) => attempt.messageId === id)).toEqual([
      { messageId: id, status: 'sent', attempt: 1, responseStatus: 200 },
      { messageId: id, status: 'delivered', attempt: 1, responseStatus: 200 },
      { messageId: id, status: 'read', attempt: 1, responseStatus: 200 },
    ]);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(2);

    const again = fake.statusWebhook(id, 'read');
    const repeated = await postWebhook(webhookUrl, again.body, again.headers);
    expect(repeated.status).toBe(200);
    expect(JSON.parse(repeated.text)).toEqual({ success: true, updated: 0, received: 1 });
    const late = fake.statusWebhook(id, 'delivered');
    expect((await postWebhook(webhookUrl, late.body, late.headers)).status).toBe(200);
    expect((await deliveriesOf(t, sent.body.verification_id))[0].status).toBe('read');
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(2);
  });

  it('records "not a WhatsApp user" (failed, 131026) reported by webhook', async () => {
    const phone = nextPhone();
    fake.notWhatsAppUsers([phone.slice(1)]);
    try {
      const sent = await sendCode(t, phone);
      expect(sent.status).toBe(200);
      await fake.advance(sent.body.sms_id);
      await fake.advance(sent.body.sms_id);

      expect(await deliveriesOf(t, sent.body.verification_id)).toEqual([
        expect.objectContaining({ status: 'failed', provider_status: 'failed', error_code: '131026' }),
      ]);
    } finally {
      fake.notWhatsAppUsers([]);
    }
  });

  it('refuses a forged or unsigned report with 401 and changes nothing', async () => {
    const sent = await sendCode(t, nextPhone());
    const forged = fake.forgedWebhook(sent.body.sms_id, 'delivered');
    const refused = await postWebhook(webhookUrl, forged.body, forged.headers);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });

    const signed = fake.statusWebhook(sent.body.sms_id, 'delivered');
    const { 'x-hub-signature-256': _signature, ...unsigned } = signed.headers;
    expect((await postWebhook(webhookUrl, signed.body, unsigned)).status).toBe(401);
    // The same JSON with other whitespace is other bytes: the signature is over the raw body.
    const reformatted = JSON.stringify(JSON.parse(signed.body), null, 1);
    expect((await postWebhook(webhookUrl, reformatted, signed.headers)).status).toBe(401);

    expect(await deliveriesOf(t, sent.body.verification_id)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(0);
  });

  it('answers the subscription check with the challenge (text/plain) for our verify token, 403 otherwise', async () => {
    const accepted = await fake.checkSubscription(webhookUrl);
    expect(accepted).toMatchObject({ status: 200, text: accepted.challenge });

    const response = await fetch(
      `${webhookUrl}?hub.mode=subscribe&hub.verify_token=${fake.verifyToken}&hub.challenge=42`,
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('42');

    const refused = await fake.checkSubscription(webhookUrl, `${fake.verifyToken}x`);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain(refused.challenge);
    expect(JSON.parse(refused.text)).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });

    expect((await fetch(`${baseUrl}${WEBHOOKS}/console?hub.mode=subscribe`)).status).toBe(404);
  });
});

describe('WhatsApp without webhook secrets', () => {
  let fake: WhatsAppFake;
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    fake = await startWhatsAppFake();
    const { WHATSAPP_APP_SECRET: _secret, WHATSAPP_VERIFY_TOKEN: _token, ...env } = fake.env;
    t = await createTestApp({ env });
    baseUrl = await listen(t.app);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('refuses every status webhook (401) and every subscription check (403)', async () => {
    const sent = await sendCode(t, nextPhone());
    const report = fake.statusWebhook(sent.body.sms_id, 'delivered');
    expect((await postWebhook(`${baseUrl}${WEBHOOKS}/whatsapp`, report.body, report.headers)).status).toBe(401);
    expect(await deliveryEvents(t, sent.body.verification_id)).toBe(0);

    expect((await fake.checkSubscription(`${baseUrl}${WEBHOOKS}/whatsapp`)).status).toBe(403);
  });
});

describe('WhatsApp in a chain: SMS_ROUTES="UZ=whatsapp,eskiz"', () => {
  let whatsapp: WhatsAppFake;
  let eskiz: EskizFake;
  let t: TestApp;

  beforeAll(async () => {
    [whatsapp, eskiz] = await Promise.all([startWhatsAppFake(), startEskizFake()]);
    const { SMS_PROVIDER: _w, ...whatsappEnv } = whatsapp.env;
    const { SMS_PROVIDER: _e, ...eskizEnv } = eskiz.env;
    t = await createTestApp({
      env: { ...whatsappEnv, ...eskizEnv, SMS_PROVIDER: 'console', SMS_ROUTES: 'UZ=whatsapp,eskiz' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([whatsapp?.close(), eskiz?.close()]);
  });

  it('sends an Uzbek number through WhatsApp first', async () => {
    const sent = await sendCode(t, nextUzbekPhone());
    expect(sent.status).toBe(200);
    expect((await deliveriesOf(t, sent.body.verification_id)).map((row) => [row.channel, row.provider])).toEqual([
      ['whatsapp', 'whatsapp'],
    ]);
  });

  it('moves on to Eskiz within the request when Meta answers 131026 at once, with the same code', async () => {
    const phone = nextUzbekPhone();
    whatsapp.notWhatsAppUsers([phone.slice(1)], true);
    try {
      const sent = await sendCode(t, phone);
      expect(sent.status).toBe(200);
      expect(
        (await deliveriesOf(t, sent.body.verification_id)).map((row) => [
          row.channel,
          row.provider,
          row.status,
          row.error_code,
        ]),
      ).toEqual([
        ['whatsapp', 'whatsapp', 'failed', '131026'],
        ['sms', 'eskiz', expect.any(String), null],
      ]);
      expect(eskiz.messages.at(-1)!.text).toContain(sent.body.debug_code);
      expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
    } finally {
      whatsapp.notWhatsAppUsers([]);
    }
  });
});

describe('WhatsApp credentials at boot', () => {
  it.each([
    ['SMS_PROVIDER=whatsapp', { SMS_PROVIDER: 'whatsapp' }],
    ['SMS_ROUTES="UZ=whatsapp,eskiz"', { SMS_ROUTES: 'UZ=whatsapp,eskiz', ESKIZ_EMAIL: 'a@b.uz', ESKIZ_PASSWORD: 'x' }],
  ])('%s without WHATSAPP_* credentials refuses to boot', async (_case, env) => {
    const database = await createTestDatabase();
    try {
      await expect(createTestApp({ env, database })).rejects.toThrow(
        /WHATSAPP_ACCESS_TOKEN[\s\S]*WHATSAPP_PHONE_NUMBER_ID[\s\S]*WHATSAPP_TEMPLATE_NAME/,
      );
    } finally {
      await database.drop();
    }
  });
});
