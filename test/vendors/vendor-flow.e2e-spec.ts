import { DeliveryPoller } from '@app/verification';
import type { FakeVendor } from '../fakes/fake-vendor';
import { startEskizFake } from '../fakes/eskiz.fake';
import { startGreenSmsFake } from '../fakes/greensms.fake';
import { startMessaggioFake } from '../fakes/messaggio.fake';
import { startMobizonFake } from '../fakes/mobizon.fake';
import { startTwilioFake } from '../fakes/twilio.fake';
import { expectError, sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, nextUzbekPhone, type TestApp } from '../support/test-app';

/** Every vendor, end to end: its fake API on loopback, the real app configured for it through env. */
const VENDORS: [string, () => Promise<FakeVendor>, string, () => string][] = [
  ['mobizon', () => startMobizonFake(), '', nextPhone],
  ['messaggio', () => startMessaggioFake(), '', nextPhone],
  ['twilio', () => startTwilioFake(), '+', nextPhone],
  ['greensms', () => startGreenSmsFake(), '', nextPhone],
  // Eskiz sends only texts that match an approved template: configure ours as one.
  [
    'eskiz',
    () =>
      startEskizFake({
        templates: [
          /^Your sms-auth verification code: \d{6}\. It is valid for 5 minutes\.$/,
          /^Ваш код подтверждения sms-auth: \d{6}\. Код действителен 5 минут\.$/,
        ],
      }),
    '',
    nextUzbekPhone,
  ],
];

describe.each(VENDORS)('send → verify through %s', (provider, startFake, recipientPrefix, phoneOfCountry) => {
  let fake: FakeVendor;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFake();
    t = await createTestApp({ env: { ...fake.env, SMS_PROVIDER_TIMEOUT_MS: '2000' } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('sends the code through the vendor, stores its message id, and logs in with the code', async () => {
    const phone = phoneOfCountry();
    const sent = await sendCode(t, phone, { locale: 'en' });
    expect(sent.status).toBe(200);

    const message = fake.messages.at(-1)!;
    expect(message.to).toBe(`${recipientPrefix}${phone.slice(1)}`);
    expect(message.text).toContain(sent.body.debug_code);
    expect(sent.body.sms_id).toBe(message.id);

    const { rows: deliveries } = await t.sql.query(
      `SELECT d.provider, d.provider_message_id, d.status, v.provider AS verification_provider, v.request_id
         FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id WHERE v.id = $1`,
      [sent.body.verification_id],
    );
    expect(deliveries).toEqual([
      expect.objectContaining({
        provider,
        provider_message_id: message.id,
        verification_provider: provider,
        request_id: message.id,
      }),
    ]);

    const verified = await verify(t, phone, sent.body.debug_code);
    expect(verified.status).toBe(200);
  });

  it('follows the message to delivered by polling the vendor', async () => {
    const phone = phoneOfCountry();
    const sent = await sendCode(t, phone);
    fake.deliver(sent.body.sms_id);

    expect(await t.app.get(DeliveryPoller).pollOnce()).toBeGreaterThanOrEqual(1);

    const { rows } = await t.sql.query('SELECT delivery_status FROM sms_verifications WHERE id = $1', [
      sent.body.verification_id,
    ]);
    expect(rows[0].delivery_status).toBe('delivered');
    const { rows: events } = await t.sql.query(
      `SELECT details FROM audit_events WHERE verification_id = $1 AND type = 'delivery_updated'`,
      [sent.body.verification_id],
    );
    expect(events).toEqual([
      { details: expect.objectContaining({ to: 'delivered', source: 'poll', message_id: sent.body.sms_id }) },
    ]);
  });

  it('answers 503 SMS_PROVIDER_UNAVAILABLE with the vendor named when the vendor is down', async () => {
    fake.failSends(true);
    try {
      const failed = await sendCode(t, phoneOfCountry());
      const error = expectError(failed, 503, 'SMS_PROVIDER_UNAVAILABLE');
      expect(error.provider).toBe(provider);
    } finally {
      fake.failSends(false);
    }
  });

  it('counts every HTTP request to the vendor in /metrics, by how it ended', async () => {
    /** The request counts of this vendor's HTTP calls, by outcome. */
    const counts = async (): Promise<Map<string, number>> => {
      const metrics = await t.http.get('/metrics');
      const prefix = `sms_auth_vendor_http_request_duration_seconds_count{provider="${provider}",outcome="`;
      return new Map(
        metrics.text
          .split('\n')
          .filter((line) => line.startsWith(prefix))
          .map((line) => [line.slice(prefix.length).split('"')[0], Number(line.split(' ').at(-1))]),
      );
    };
    const total = (byOutcome: Map<string, number>) => [...byOutcome.values()].reduce((sum, n) => sum + n, 0);

    const before = await counts();
    expect((await sendCode(t, phoneOfCountry())).status).toBe(200);
    const afterSend = await counts();
    expect(afterSend.get('reply') ?? 0).toBeGreaterThan(before.get('reply') ?? 0);

    fake.failSends(true);
    try {
      expect((await sendCode(t, phoneOfCountry())).status).toBeGreaterThanOrEqual(500);
    } finally {
      fake.failSends(false);
    }
    const afterFailure = await counts();
    expect(total(afterFailure)).toBeGreaterThan(total(afterSend));
    expect([...afterFailure.keys()].every((outcome) => ['reply', 'server_error'].includes(outcome))).toBe(true);
  });
});
