import { randomUUID } from 'node:crypto';
import { DeliveryChannel, DeliveryStatus, SMS_PROVIDERS, type SmsMessage, type SmsProvider } from '@app/sms';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { eventually } from '../support/eventually';
import { sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/** A Telegram-like link of our own (the real adapter is not on this branch): accepts, never reports delivery. */
class RecordingProvider implements SmsProvider {
  readonly sent: SmsMessage[] = [];
  readonly reported: [string, string][] = [];
  readonly revoked: string[] = [];
  failReports = 0;

  constructor(
    readonly name: string,
    readonly channel: DeliveryChannel,
  ) {}

  send(message: SmsMessage) {
    this.sent.push(message);
    return Promise.resolve({ messageId: randomUUID(), status: DeliveryStatus.Sent });
  }

  reportVerified(messageId: string, code: string): Promise<void> {
    if (this.failReports > 0) {
      this.failReports -= 1;
      return Promise.reject(new Error('gateway unavailable'));
    }
    this.reported.push([messageId, code]);
    return Promise.resolve();
  }

  revoke(messageId: string): Promise<void> {
    this.revoked.push(messageId);
    return Promise.resolve();
  }
}

describe('post-verify reports and revokes (pg-boss jobs)', () => {
  let twilio: TwilioFake;
  let t: TestApp;
  const gateway = new RecordingProvider('console', DeliveryChannel.Telegram);
  const sms = new RecordingProvider('twilio', DeliveryChannel.Sms);
  delete (sms as Partial<RecordingProvider>).reportVerified;

  beforeAll(async () => {
    twilio = await startTwilioFake();
    t = await createTestApp({
      env: { ...twilio.env, SMS_PROVIDER: 'console,twilio', CHANNEL_DELIVERY_TIMEOUT_SECONDS: '1' },
      overrides: [
        {
          provide: SMS_PROVIDERS,
          useValue: new Map<string, SmsProvider>([
            ['console', gateway],
            ['twilio', sms],
          ]),
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.close();
    await twilio?.close();
  });

  it('reports the verified code to the link that delivered it, after the response, retrying a failure', async () => {
    const phone = nextPhone();
    gateway.failReports = 1;
    const sent = await sendCode(t, phone);
    const code: string = sent.body.debug_code;
    expect(gateway.sent.at(-1)!.otp).toEqual(expect.objectContaining({ code }));

    expect((await verify(t, phone, code)).status).toBe(200);

    await eventually(() => gateway.reported.length > 0, 'the code was reported', { attempts: 200, intervalMs: 50 });
    expect(gateway.reported).toEqual([[sent.body.sms_id, code]]);
    expect(gateway.failReports).toBe(0);
    // The only link that carried it is the current one: nothing to revoke.
    expect(gateway.revoked).toEqual([]);
  });

  it('revokes the superseded message of the earlier link after a failover and a verify', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    const code: string = sent.body.debug_code;
    await eventually(() => sms.sent.some((message) => message.text.includes(code)), 'the SMS link sent the code', {
      attempts: 100,
    });
    expect(sms.sent.at(-1)!.otp).toEqual(expect.objectContaining({ code, verificationId: sent.body.verification_id }));

    expect((await verify(t, phone, code)).status).toBe(200);

    await eventually(() => gateway.revoked.includes(sent.body.sms_id), 'the earlier message was revoked', {
      attempts: 200,
    });
    expect(gateway.reported).toContainEqual([sent.body.sms_id, code]);
  });
});
