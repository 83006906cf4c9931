import { DeliveryStatus } from '@app/sms';
import { DeliveryTrackingService } from '@app/verification';
import { startMobizonFake, type MobizonFake } from '../fakes/mobizon.fake';
import { startTelegramFake, type TelegramFake } from '../fakes/telegram.fake';
import { eventually } from '../support/eventually';
import { sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/**
 * The chain SPEC §9 is for, on the real adapters and their fakes: KZ = telegram, mobizon. Telegram accepts the
 * code; when it does not report delivery within CHANNEL_DELIVERY_TIMEOUT_SECONDS, Mobizon sends the same code.
 * The fake's messages move on only when a test advances them, so "never delivered" is the default here.
 */
describe('Telegram, then SMS when Telegram does not deliver (e2e)', () => {
  let telegram: TelegramFake;
  let mobizon: MobizonFake;
  let t: TestApp;

  const smsOf = (code: string) => mobizon.messages.filter((message) => message.text.includes(code));

  /** Mobizon got the same code, and the failover job recorded that attempt (the record follows the vendor's answer). */
  async function smsSentAndRecorded(verificationId: string, code: string): Promise<void> {
    await eventually(
      async () => {
        if (smsOf(code).length !== 1) return false;
        const { rows } = await t.sql.query(
          `SELECT 1 FROM sms_deliveries WHERE verification_id = $1 AND provider = 'mobizon'`,
          [verificationId],
        );
        return rows.length === 1;
      },
      'mobizon sent the same code and its attempt was recorded',
      { attempts: 200, intervalMs: 50 },
    );
  }

  beforeAll(async () => {
    telegram = await startTelegramFake();
    mobizon = await startMobizonFake();
    t = await createTestApp({
      env: {
        ...telegram.env,
        ...mobizon.env,
        SMS_PROVIDER: 'mobizon',
        SMS_ROUTES: 'KZ=telegram,mobizon',
        CHANNEL_DELIVERY_TIMEOUT_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await telegram?.close();
    await mobizon?.close();
  });

  it('an undelivered Telegram message is followed by an SMS with the same code, which verifies once', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    expect(sent.body.channel).toBe('telegram');
    const code: string = sent.body.debug_code;
    expect(telegram.messages.at(-1)!.code).toBe(code);
    expect(smsOf(code)).toHaveLength(0);

    await smsSentAndRecorded(sent.body.verification_id, code);
    const { rows } = await t.sql.query(
      `SELECT attempt_number, channel, provider, provider_message_id IS NOT NULL AS accepted
         FROM sms_deliveries WHERE verification_id = $1 ORDER BY attempt_number`,
      [sent.body.verification_id],
    );
    expect(rows).toEqual([
      { attempt_number: 1, channel: 'telegram', provider: 'telegram', accepted: true },
      { attempt_number: 2, channel: 'sms', provider: 'mobizon', accepted: true },
    ]);

    expect((await verify(t, phone, code)).status).toBe(200);
    expect((await verify(t, phone, code)).status).not.toBe(200);
    // Once per link: nothing more is sent.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smsOf(code)).toHaveLength(1);
    expect(telegram.messages.filter((message) => message.code === code)).toHaveLength(1);
  });

  it("the SMS's delivery withdraws the unread Telegram message it superseded (revokeVerificationMessage)", async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    const code: string = sent.body.debug_code;
    const message = telegram.messages.at(-1)!;
    await smsSentAndRecorded(sent.body.verification_id, code);
    const { rows } = await t.sql.query(
      `SELECT provider_message_id FROM sms_deliveries WHERE verification_id = $1 AND provider = 'mobizon'`,
      [sent.body.verification_id],
    );
    expect(message.deliveryStatus).toBe('sent');

    // Mobizon's report of the SMS, as its webhook or the poller would apply it.
    await t.app
      .get(DeliveryTrackingService)
      .apply(
        'mobizon',
        { messageId: rows[0].provider_message_id, status: DeliveryStatus.Delivered, providerStatus: 'delivered' },
        'webhook',
      );
    await eventually(() => message.deliveryStatus === 'revoked', 'the Telegram message was revoked', {
      attempts: 200,
      intervalMs: 50,
    });
    expect((await verify(t, phone, code)).status).toBe(200);
  });

  it('a Telegram message delivered in time sends no SMS, and the verify is reported back to Telegram with the code', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    const code: string = sent.body.debug_code;
    const message = telegram.messages.at(-1)!;
    await telegram.advance(message.id); // delivered, well within the second
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(smsOf(code)).toHaveLength(0);

    expect((await verify(t, phone, code)).status).toBe(200);
    await eventually(() => message.checks.includes(code), 'checkVerificationStatus(request_id, code) was called', {
      attempts: 200,
      intervalMs: 50,
    });
  });
});
