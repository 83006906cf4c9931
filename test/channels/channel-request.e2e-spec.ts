import { ageCodes, expectError, RESEND_CODE, SEND_CODE, verify } from '../support/http-helpers';
import { nextIp, nextPhone, nextUzbekPhone } from '../support/test-app';
import { type ChannelApp, createChannelApp, TEST_CODE, TEST_NUMBER } from './channel-links';

/**
 * SPEC §9: send-code / resend-code {channel?}. The default chain is telegram, console (KZ numbers); the
 * Uzbek chain is greensms alone. A requested channel keeps only that channel's links, in order; none →
 * 400 CHANNEL_UNAVAILABLE before anything is reserved. Every answer says which channel carried the code.
 */

describe('asking for a channel (e2e)', () => {
  let app: ChannelApp;

  beforeAll(async () => {
    app = await createChannelApp();
  });
  afterAll(() => app?.t.close());
  beforeEach(() => {
    for (const link of [app.telegram, app.console, app.greensms]) link.reset();
  });

  const send = (phone: string, body: Record<string, unknown> = {}, path = SEND_CODE) =>
    app.t.http
      .post(path)
      .set('X-Forwarded-For', nextIp())
      .send({ phone_number: phone, ...body });

  const deliveriesOf = async (verificationId: string) =>
    (
      await app.t.sql.query(
        `SELECT attempt_number, provider, channel, status FROM sms_deliveries
          WHERE verification_id = $1 ORDER BY attempt_number`,
        [verificationId],
      )
    ).rows;

  it('telegram asked and in the chain: the telegram link carries it, the answer says telegram, and it verifies', async () => {
    const phone = nextPhone();
    const res = await send(phone, { channel: 'telegram' }).expect(200);
    expect(res.body).toMatchObject({ success: true, channel: 'telegram', sms_id: expect.stringMatching(/^telegram-/) });
    expect(app.telegram.sent.map((message) => message.to)).toEqual([phone]);
    // The channel gets our code itself, with the code's lifetime and our verification id.
    expect(app.telegram.sent[0].otp).toEqual({
      code: res.body.debug_code,
      ttlSeconds: res.body.expires_in,
      verificationId: res.body.verification_id,
    });
    expect(app.console.sent).toEqual([]);
    expect(await deliveriesOf(res.body.verification_id)).toEqual([
      { attempt_number: 1, provider: 'telegram', channel: 'telegram', status: 'sent' },
    ]);
    expect((await verify(app.t, phone, res.body.debug_code, nextIp())).status).toBe(200);
  });

  it('sms asked with the chain telegram, console: only the sms link is tried', async () => {
    const phone = nextPhone();
    const res = await send(phone, { channel: 'sms' }).expect(200);
    expect(res.body).toMatchObject({ channel: 'sms', sms_id: expect.stringMatching(/^console-/) });
    expect(app.telegram.sent).toEqual([]);
    expect(app.console.sent.map((message) => message.to)).toEqual([phone]);
    expect(await deliveriesOf(res.body.verification_id)).toEqual([
      { attempt_number: 1, provider: 'console', channel: 'sms', status: 'sent' },
    ]);
  });

  it('sms asked: a refusing telegram link is not even tried (no failed attempt recorded)', async () => {
    app.telegram.refuse = true;
    const res = await send(nextPhone(), { channel: 'sms' }).expect(200);
    expect(await deliveriesOf(res.body.verification_id)).toEqual([
      { attempt_number: 1, provider: 'console', channel: 'sms', status: 'sent' },
    ]);
  });

  it('telegram asked and the telegram link refuses: no other channel is used (502, the code failed)', async () => {
    app.telegram.refuse = true;
    const phone = nextPhone();
    const res = await send(phone, { channel: 'telegram' });
    expectError(res, 502, 'SMS_PROVIDER_REJECTED');
    expect(app.console.sent).toEqual([]);
    const { rows } = await app.t.sql.query(`SELECT id, status FROM sms_verifications WHERE phone_number = $1`, [phone]);
    expect(rows).toEqual([{ id: expect.any(String), status: 'failed' }]);
    expect(await deliveriesOf(rows[0].id)).toEqual([
      { attempt_number: 1, provider: 'telegram', channel: 'telegram', status: 'failed' },
    ]);
  });

  it('no channel asked: the whole chain as before, and the answer names the channel of the link that took it', async () => {
    const first = await send(nextPhone()).expect(200);
    expect(first.body.channel).toBe('telegram');

    app.telegram.refuse = true;
    const second = await send(nextPhone()).expect(200);
    expect(second.body.channel).toBe('sms');
    expect(await deliveriesOf(second.body.verification_id)).toEqual([
      { attempt_number: 1, provider: 'telegram', channel: 'telegram', status: 'failed' },
      { attempt_number: 2, provider: 'console', channel: 'sms', status: 'sent' },
    ]);
  });

  describe('a channel the chain has no link of', () => {
    it.each([
      ['telegram', 'a Uzbek number (chain greensms)', nextUzbekPhone, 'UZ'],
      ['whatsapp', 'a Kazakh number (chain telegram, console)', nextPhone, 'KZ'],
    ])(
      '%s for %s: 400 CHANNEL_UNAVAILABLE, no code, no attempt, no audit event',
      async (channel, _, phoneOf, country) => {
        const phone = phoneOf();
        const res = await send(phone, { channel });
        const error = expectError(res, 400, 'CHANNEL_UNAVAILABLE');
        expect(error).toMatchObject({ channel, country });
        expect(error.message).toEqual(expect.stringContaining(channel));
        for (const link of [app.telegram, app.console, app.greensms]) expect(link.sent).toEqual([]);
        const count = async (sql: string) => (await app.t.sql.query(sql, [phone])).rows[0].count;
        expect(await count(`SELECT count(*)::int FROM sms_verifications WHERE phone_number = $1`)).toBe(0);
        // Like any refused input (INVALID_PHONE, COUNTRY_NOT_ALLOWED): answered, not audited.
        expect(await count(`SELECT count(*)::int FROM audit_events WHERE phone_number = $1`)).toBe(0);
      },
    );

    it('counts toward no cooldown: right after it, the same number gets a code with the wait of a first send', async () => {
      const phone = nextUzbekPhone();
      expectError(await send(phone, { channel: 'telegram' }), 400, 'CHANNEL_UNAVAILABLE');
      expectError(await send(phone, { channel: 'whatsapp' }), 400, 'CHANNEL_UNAVAILABLE');
      const res = await send(phone).expect(200);
      const fresh = await send(nextUzbekPhone()).expect(200);
      expect(res.body).toMatchObject({ channel: 'sms', resend_after: fresh.body.resend_after });
      expect(app.greensms.sent.map((message) => message.to)).toEqual([phone, expect.any(String)]);
    });
  });

  it('resend-code takes the channel too', async () => {
    const phone = nextPhone();
    const first = await send(phone, { channel: 'sms' }).expect(200);
    expect(first.body.channel).toBe('sms');
    await ageCodes(app.t, phone, '1 hour');
    const again = await send(phone, { channel: 'telegram' }, RESEND_CODE).expect(200);
    expect(again.body).toMatchObject({ message: 'Code sent again', channel: 'telegram' });
    expectError(await send(nextUzbekPhone(), { channel: 'telegram' }, RESEND_CODE), 400, 'CHANNEL_UNAVAILABLE');
  });

  it('a channel outside sms, telegram, whatsapp is a validation error naming the field', async () => {
    for (const channel of ['pigeon', 'SMS', 7, '']) {
      const error = expectError(await send(nextPhone(), { channel }), 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual([{ field: 'channel', messages: [expect.stringContaining('channel must be')] }]);
    }
    expect(app.telegram.sent).toEqual([]);
    expect(app.console.sent).toEqual([]);
  });

  it('a test number ignores the channel asked and answers sms (no provider is used)', async () => {
    const res = await send(TEST_NUMBER, { channel: 'whatsapp' }).expect(200);
    expect(res.body).toMatchObject({ channel: 'sms', sms_id: null });
    expect((await verify(app.t, TEST_NUMBER, TEST_CODE, nextIp())).status).toBe(200);
  });
});
