import { ConsoleSmsProvider } from '@app/sms';
import { createTestApp, nextPhone, type TestApp } from './support/test-app';
import { ageCodes, expectError, LOGOUT, ME, REFRESH, sendCode, verify, wrongCode } from './support/http-helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `+7701XXXXXXX` → its digits after the country code, split as people type them. */
function national(e164: string): { area: string; a: string; b: string; c: string } {
  const digits = e164.slice(2);
  return { area: digits.slice(0, 3), a: digits.slice(3, 6), b: digits.slice(6, 8), c: digits.slice(8, 10) };
}

describe('sms-auth flow (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  describe('send → verify → me → refresh → logout', () => {
    const phone = nextPhone();
    let userId: string;

    it('runs the whole login and session lifecycle', async () => {
      const sent = await sendCode(t, phone);
      expect(sent.status).toBe(200);
      expect(sent.body).toEqual({
        success: true,
        message: expect.any(String),
        verification_id: expect.stringMatching(UUID),
        phone_number: phone,
        sms_id: expect.any(String),
        expires_in: 300,
        resend_after: 60,
        channel: 'sms',
        debug_code: expect.stringMatching(/^\d{6}$/),
      });
      expect(sent.body.message.length).toBeGreaterThan(0);
      expect(sent.body.sms_id.length).toBeGreaterThan(0);

      const { rows: stored } = await t.sql.query(
        'SELECT status, phone_number, request_id, code_hash FROM sms_verifications WHERE id = $1',
        [sent.body.verification_id],
      );
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ status: 'pending', phone_number: phone, request_id: sent.body.sms_id });
      expect(stored[0].code_hash).not.toContain(sent.body.debug_code);

      const verified = await verify(t, phone, sent.body.debug_code);
      expect(verified.status).toBe(200);
      expect(verified.body).toEqual({
        success: true,
        message: expect.any(String),
        access_token: expect.stringMatching(JWT),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        user: { id: expect.stringMatching(UUID), phone_number: phone, is_new: true },
      });
      userId = verified.body.user.id;
      const claims = JSON.parse(Buffer.from(verified.body.access_token.split('.')[1], 'base64url').toString());
      expect(claims).toEqual({
        sub: userId,
        phone_number: phone,
        sid: expect.stringMatching(UUID),
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
        iss: expect.any(String),
        aud: expect.any(String),
      });
      expect(claims.exp - claims.iat).toBe(900);
      expect(verified.body.refresh_token.length).toBeGreaterThanOrEqual(43);
      const { rows: approved } = await t.sql.query('SELECT status, user_id FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(approved[0]).toEqual({ status: 'approved', user_id: userId });

      const me = await t.http.get(ME).set('Authorization', `Bearer ${verified.body.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        success: true,
        user: { id: userId, phone_number: phone, created_at: expect.any(String), last_login_at: expect.any(String) },
      });

      const refreshed = await t.http.post(REFRESH).send({ refresh_token: verified.body.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).toEqual({
        success: true,
        message: expect.any(String),
        access_token: expect.stringMatching(JWT),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
      });
      expect(refreshed.body.refresh_token).not.toBe(verified.body.refresh_token);
      expect(refreshed.body.access_token).not.toBe(verified.body.access_token);

      const meAfterRefresh = await t.http.get(ME).set('Authorization', `Bearer ${refreshed.body.access_token}`);
      expect(meAfterRefresh.status).toBe(200);
      expect(meAfterRefresh.body.user.id).toBe(userId);

      const loggedOut = await t.http.post(LOGOUT).send({ refresh_token: refreshed.body.refresh_token });
      expect(loggedOut.status).toBe(200);
      expect(loggedOut.body).toEqual({ success: true, message: expect.any(String) });

      expectError(
        await t.http.post(REFRESH).send({ refresh_token: refreshed.body.refresh_token }),
        401,
        'UNAUTHORIZED',
      );
      expectError(
        await t.http.get(ME).set('Authorization', `Bearer ${refreshed.body.access_token}`),
        401,
        'UNAUTHORIZED',
      );
      expectError(
        await t.http.get(ME).set('Authorization', `Bearer ${verified.body.access_token}`),
        401,
        'UNAUTHORIZED',
      );
      const { rows: sessions } = await t.sql.query(
        'SELECT revoked_at IS NOT NULL AS revoked, revoked_reason FROM sessions WHERE id = $1',
        [claims.sid],
      );
      expect(sessions).toEqual([{ revoked: true, revoked_reason: 'logout' }]);

      // Logging out twice is harmless; an unknown token is not.
      expect((await t.http.post(LOGOUT).send({ refresh_token: refreshed.body.refresh_token })).status).toBe(200);
      expectError(await t.http.post(LOGOUT).send({ refresh_token: 'y'.repeat(43) }), 401, 'UNAUTHORIZED');
    });

    it('a second login of the same phone finds the same user (is_new false)', async () => {
      expect(userId).toBeDefined();
      // The first login's send is still within the cooldown: move it back.
      await ageCodes(t, phone, '2 minutes');
      const again = await sendCode(t, phone);
      expect(again.status).toBe(200);
      const verified = await verify(t, phone, again.body.debug_code);
      expect(verified.status).toBe(200);
      expect(verified.body.user).toEqual({ id: userId, phone_number: phone, is_new: false });
      const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM users WHERE phone_number = $1', [phone]);
      expect(rows[0].n).toBe(1);
    });
  });

  describe('phone formats', () => {
    const formats: [string, (e164: string) => string][] = [
      [
        '+7 7xx xxx-xx-xx',
        (e) => {
          const n = national(e);
          return `+7 ${n.area} ${n.a}-${n.b}-${n.c}`;
        },
      ],
      [
        '8 (7xx) xxx-xx-xx',
        (e) => {
          const n = national(e);
          return `8 (${n.area}) ${n.a}-${n.b}-${n.c}`;
        },
      ],
      ['77xxxxxxxxx without plus', (e) => e.slice(1)],
      ['87xxxxxxxxx', (e) => `8${e.slice(2)}`],
      [
        '+7(7xx)xxx xx xx',
        (e) => {
          const n = national(e);
          return `+7(${n.area})${n.a} ${n.b} ${n.c}`;
        },
      ],
    ];

    it.each(formats)('%s normalises to E.164 on send and verify', async (_name, format) => {
      const phone = nextPhone();
      const typed = format(phone);
      expect(typed).not.toBe(phone);
      const sent = await sendCode(t, typed);
      expect(sent.status).toBe(200);
      expect(sent.body.phone_number).toBe(phone);
      const { rows } = await t.sql.query('SELECT phone_number FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].phone_number).toBe(phone);
      // Verify with yet another spelling: it is the same number.
      const verified = await verify(t, phone.slice(1), sent.body.debug_code);
      expect(verified.status).toBe(200);
      expect(verified.body.user.phone_number).toBe(phone);
    });

    it('every spelling of one number is one phone (the cooldown of one applies to the others)', async () => {
      const phone = nextPhone();
      const n = national(phone);
      expect((await sendCode(t, `+7 ${n.area} ${n.a}-${n.b}-${n.c}`)).status).toBe(200);
      const second = await sendCode(t, `8 (${n.area}) ${n.a}-${n.b}-${n.c}`);
      expectError(second, 429, 'RESEND_TOO_SOON');
      const third = await sendCode(t, phone.slice(1));
      expectError(third, 429, 'RESEND_TOO_SOON');
    });

    it('accepts an Uzbek number in international form', async () => {
      const sent = await sendCode(t, '+998 (90) 123-45-67');
      expect(sent.status).toBe(200);
      expect(sent.body.phone_number).toBe('+998901234567');
    });
  });

  describe('resend-code', () => {
    it('cancels the old code: the old one is CODE_INVALID, the new one works', async () => {
      const phone = nextPhone();
      const first = await sendCode(t, phone);
      expect(first.status).toBe(200);
      await ageCodes(t, phone, '2 minutes');

      const second = await sendCode(t, phone, { resend: true });
      expect(second.status).toBe(200);
      expect(second.body).toEqual({
        success: true,
        message: expect.any(String),
        verification_id: expect.stringMatching(UUID),
        phone_number: phone,
        sms_id: expect.any(String),
        expires_in: 300,
        resend_after: 120,
        channel: 'sms',
        debug_code: expect.stringMatching(/^\d{6}$/),
      });
      expect(second.body.verification_id).not.toBe(first.body.verification_id);
      expect(second.body.sms_id).not.toBe(first.body.sms_id);

      const { rows } = await t.sql.query(
        'SELECT id, status FROM sms_verifications WHERE phone_number = $1 ORDER BY created_at',
        [phone],
      );
      expect(rows).toEqual([
        { id: first.body.verification_id, status: 'canceled' },
        { id: second.body.verification_id, status: 'pending' },
      ]);

      // The old code is no longer accepted (unless, one time in a million, both codes are equal).
      const oldCode =
        first.body.debug_code === second.body.debug_code ? wrongCode(second.body.debug_code) : first.body.debug_code;
      const old = await verify(t, phone, oldCode);
      const error = expectError(old, 400, 'CODE_INVALID');
      expect(error.attempts_left).toBe(4);

      const verified = await verify(t, phone, second.body.debug_code);
      expect(verified.status).toBe(200);
      expect(verified.body.user.phone_number).toBe(phone);
      const { rows: after } = await t.sql.query(
        'SELECT id, status FROM sms_verifications WHERE phone_number = $1 ORDER BY created_at',
        [phone],
      );
      expect(after.map((row: { status: string }) => row.status)).toEqual(['canceled', 'approved']);
    });

    it('send-code also cancels the pending code', async () => {
      const phone = nextPhone();
      const first = await sendCode(t, phone);
      await ageCodes(t, phone, '2 minutes');
      const second = await sendCode(t, phone);
      expect(second.status).toBe(200);
      const { rows } = await t.sql.query('SELECT status FROM sms_verifications WHERE id = $1', [
        first.body.verification_id,
      ]);
      expect(rows[0].status).toBe('canceled');
      const { rows: pending } = await t.sql.query(
        `SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = $1 AND status = 'pending'`,
        [phone],
      );
      expect(pending[0].n).toBe(1);
    });

    it('resend-code with nothing sent before works like send-code', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone, { resend: true });
      expect(sent.status).toBe(200);
      expect(sent.body.resend_after).toBe(60);
      expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
    });
  });

  describe('locale', () => {
    let sendSpy: jest.SpyInstance;
    beforeEach(() => {
      sendSpy = jest.spyOn(ConsoleSmsProvider.prototype, 'send');
    });
    afterEach(() => sendSpy.mockRestore());

    function textSentTo(phone: string): string {
      const call = sendSpy.mock.calls.find(([message]) => message.to === phone);
      if (!call) throw new Error(`no SMS was sent to ${phone}`);
      return call[0].text;
    }

    it.each([
      ['en', /verification code: (\d{6})\. It is valid for 5 minutes/],
      ['kk', /растау кодыңыз: (\d{6})\. Код 5 минут/],
      ['uz', /tasdiqlash kodingiz: (\d{6})\. Kod 5 daqiqa/],
      ['ru', /Ваш код подтверждения .*: (\d{6})\. Код действителен 5 минут/],
    ])('stores locale %s and texts the code in that language', async (locale, pattern) => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone, { locale });
      expect(sent.status).toBe(200);
      const { rows } = await t.sql.query('SELECT locale FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].locale).toBe(locale);
      const text = textSentTo(phone);
      expect(text).toMatch(pattern);
      expect(text.match(pattern)![1]).toBe(sent.body.debug_code);
    });

    it('defaults to ru without a locale', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone);
      const { rows } = await t.sql.query('SELECT locale FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].locale).toBe('ru');
      expect(textSentTo(phone)).toContain(`Ваш код подтверждения`);
    });

    it('an unknown locale is VALIDATION_FAILED naming the field, and nothing is sent', async () => {
      const phone = nextPhone();
      const res = await sendCode(t, phone, { locale: 'fr' });
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'locale' })]));
      expect(sendSpy).not.toHaveBeenCalled();
      const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = $1', [
        phone,
      ]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('test numbers', () => {
    const TEST_NUMBER = '+77000000001';
    let tn: TestApp;
    let expired: TestApp;
    beforeAll(async () => {
      tn = await createTestApp({ env: { SMS_TEST_NUMBERS: `${TEST_NUMBER}:111111` } });
      expired = await createTestApp({
        env: { SMS_TEST_NUMBERS: `${TEST_NUMBER}:111111`, SMS_TEST_NUMBERS_VALID_UNTIL: '2020-01-01T00:00:00Z' },
      });
    });
    afterAll(async () => {
      await tn?.close();
      await expired?.close();
    });

    it('a test number gets its fixed code through no provider', async () => {
      const sendSpy = jest.spyOn(ConsoleSmsProvider.prototype, 'send');
      try {
        const sent = await sendCode(tn, '+7 700 000 00 01');
        expect(sent.status).toBe(200);
        expect(sent.body).toMatchObject({ success: true, phone_number: TEST_NUMBER, sms_id: null, expires_in: 300 });
        expect(sendSpy).not.toHaveBeenCalled();

        const { rows } = await tn.sql.query('SELECT is_test_number, provider FROM sms_verifications WHERE id = $1', [
          sent.body.verification_id,
        ]);
        expect(rows[0].is_test_number).toBe(true);
        const { rows: deliveries } = await tn.sql.query(
          'SELECT count(*)::int AS n FROM sms_deliveries WHERE verification_id = $1',
          [sent.body.verification_id],
        );
        expect(deliveries[0].n).toBe(0);

        const verified = await verify(tn, TEST_NUMBER, '111111');
        expect(verified.status).toBe(200);
        expect(verified.body.user).toMatchObject({ phone_number: TEST_NUMBER, is_new: true });
      } finally {
        sendSpy.mockRestore();
      }
    });

    it('other numbers of the same app still get random codes by SMS', async () => {
      const phone = nextPhone();
      const sent = await sendCode(tn, phone);
      expect(sent.status).toBe(200);
      expect(sent.body.sms_id).toEqual(expect.any(String));
      const { rows } = await tn.sql.query('SELECT is_test_number FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].is_test_number).toBe(false);
      const { rows: deliveries } = await tn.sql.query(
        'SELECT count(*)::int AS n FROM sms_deliveries WHERE verification_id = $1',
        [sent.body.verification_id],
      );
      expect(deliveries[0].n).toBe(1);
    });

    it('past SMS_TEST_NUMBERS_VALID_UNTIL the fixed code no longer applies', async () => {
      const sent = await sendCode(expired, TEST_NUMBER);
      expect(sent.status).toBe(200);
      expect(sent.body.sms_id).toEqual(expect.any(String));
      expect(sent.body.debug_code).toMatch(/^\d{6}$/);
      expect(sent.body.debug_code).not.toBe('111111');
      const { rows } = await expired.sql.query('SELECT is_test_number FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].is_test_number).toBe(false);
      const { rows: deliveries } = await expired.sql.query(
        'SELECT count(*)::int AS n FROM sms_deliveries WHERE verification_id = $1',
        [sent.body.verification_id],
      );
      expect(deliveries[0].n).toBe(1);

      expectError(await verify(expired, TEST_NUMBER, '111111'), 400, 'CODE_INVALID');
      expect((await verify(expired, TEST_NUMBER, sent.body.debug_code)).status).toBe(200);
    });
  });

  describe('SMS_EXPOSE_CODE=false', () => {
    let hidden: TestApp;
    beforeAll(async () => {
      hidden = await createTestApp({ env: { SMS_EXPOSE_CODE: 'false' } });
    });
    afterAll(() => hidden?.close());

    it('send and resend responses carry no debug_code', async () => {
      const phone = nextPhone();
      const sent = await sendCode(hidden, phone);
      expect(sent.status).toBe(200);
      expect(sent.body).not.toHaveProperty('debug_code');
      expect(Object.keys(sent.body).sort()).toEqual([
        'channel',
        'expires_in',
        'message',
        'phone_number',
        'resend_after',
        'sms_id',
        'success',
        'verification_id',
      ]);
      await ageCodes(hidden, phone, '2 minutes');
      const resent = await sendCode(hidden, phone, { resend: true });
      expect(resent.status).toBe(200);
      expect(resent.body).not.toHaveProperty('debug_code');
    });
  });
});
