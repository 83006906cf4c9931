import { newSigningKey } from './support/access-tokens';
import { createTestApp, nextPhone, type TestApp } from './support/test-app';
import {
  ageCodes,
  ageRefreshRotation,
  expectError,
  ME,
  REFRESH,
  SEND_CODE,
  sendCode,
  verify,
  VERIFY_CODE,
  wrongCode,
} from './support/http-helpers';

/** Stable error codes (SPEC §2): exact HTTP status and `{success:false, error:{code, message, ...}}`. */
describe('error codes (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  async function pendingCode(phone: string): Promise<{ code: string; id: string }> {
    const sent = await sendCode(t, phone);
    if (sent.status !== 200) throw new Error(`send-code answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    return { code: sent.body.debug_code, id: sent.body.verification_id };
  }

  async function statusOf(id: string): Promise<string> {
    const { rows } = await t.sql.query('SELECT status FROM sms_verifications WHERE id = $1', [id]);
    return rows[0].status;
  }

  describe('VALIDATION_FAILED (400, or 413/415 for bodies the parser refuses)', () => {
    function fieldsOf(error: Record<string, unknown>): string[] {
      expect(Array.isArray(error.fields)).toBe(true);
      return (error.fields as { field: string; messages: string[] }[]).map((entry) => {
        expect(entry.messages.length).toBeGreaterThan(0);
        return entry.field;
      });
    }

    it('missing phone_number', async () => {
      const error = expectError(await t.http.post(SEND_CODE).send({}), 400, 'VALIDATION_FAILED');
      expect(fieldsOf(error)).toContain('phone_number');
    });

    it('phone_number of the wrong type', async () => {
      const error = expectError(
        await t.http.post(SEND_CODE).send({ phone_number: 77011234567 }),
        400,
        'VALIDATION_FAILED',
      );
      expect(fieldsOf(error)).toContain('phone_number');
    });

    it('an extra unknown field', async () => {
      const error = expectError(
        await t.http.post(SEND_CODE).send({ phone_number: nextPhone(), admin: true }),
        400,
        'VALIDATION_FAILED',
      );
      expect(fieldsOf(error)).toEqual(['admin']);
    });

    it('a code with letters', async () => {
      const error = expectError(await verify(t, nextPhone(), '12ab56'), 400, 'VALIDATION_FAILED');
      expect(fieldsOf(error)).toEqual(['code']);
    });

    it('a code that is too short, and a missing code', async () => {
      expect(fieldsOf(expectError(await verify(t, nextPhone(), '12'), 400, 'VALIDATION_FAILED'))).toEqual(['code']);
      expect(
        fieldsOf(
          expectError(await t.http.post(VERIFY_CODE).send({ phone_number: nextPhone() }), 400, 'VALIDATION_FAILED'),
        ),
      ).toEqual(['code']);
    });

    it('a malformed JSON body', async () => {
      const res = await t.http.post(SEND_CODE).set('Content-Type', 'application/json').send('{"phone_number": "+7701');
      expectError(res, 400, 'VALIDATION_FAILED');
    });

    // Client mistakes caught by Express's body parser are client errors with their own status, never a 500.
    it('an oversized body is 413, not a 500', async () => {
      const res = await t.http
        .post(SEND_CODE)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ phone_number: '7'.repeat(200_000) }));
      expectError(res, 413, 'VALIDATION_FAILED');
    });

    it('an unsupported Content-Encoding is 415, not a 500', async () => {
      const res = await t.http
        .post(SEND_CODE)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'x-unknown')
        .send(JSON.stringify({ phone_number: nextPhone() }));
      expectError(res, 415, 'VALIDATION_FAILED');
    });

    it('a refresh token that is not a string', async () => {
      const error = expectError(await t.http.post(REFRESH).send({ refresh_token: 42 }), 400, 'VALIDATION_FAILED');
      expect(fieldsOf(error)).toContain('refresh_token');
    });
  });

  describe('INVALID_PHONE (400)', () => {
    it.each(['hello', '+7', '123', '+7 (701) abc-de-fg', '+70000000000'])('garbage: %s', async (input) => {
      expectError(await sendCode(t, input), 400, 'INVALID_PHONE');
    });

    it('a landline cannot receive SMS: +77272500000', async () => {
      expectError(await sendCode(t, '+77272500000'), 400, 'INVALID_PHONE');
      const { rows } = await t.sql.query(
        `SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = '+77272500000'`,
      );
      expect(rows[0].n).toBe(0);
    });

    it('verify-code with garbage', async () => {
      expectError(await verify(t, 'not a phone', '123456'), 400, 'INVALID_PHONE');
    });
  });

  describe('COUNTRY_NOT_ALLOWED (403)', () => {
    let kzOnly: TestApp;
    beforeAll(async () => {
      kzOnly = await createTestApp({ env: { SMS_ALLOWED_COUNTRIES: 'KZ' } });
    });
    afterAll(() => kzOnly?.close());

    it('an Uzbek number when only KZ is allowed', async () => {
      const error = expectError(await sendCode(kzOnly, '+998901234567'), 403, 'COUNTRY_NOT_ALLOWED');
      expect(error.country).toBe('UZ');
      const { rows } = await kzOnly.sql.query('SELECT count(*)::int AS n FROM sms_verifications');
      expect(rows[0].n).toBe(0);
    });

    it('a KZ number is still allowed', async () => {
      expect((await sendCode(kzOnly, nextPhone())).status).toBe(200);
    });
  });

  describe('RESEND_TOO_SOON (429)', () => {
    it('a second send within the cooldown, with Retry-After ≈ 60', async () => {
      const phone = nextPhone();
      await pendingCode(phone);
      const res = await sendCode(t, phone, { resend: true });
      const error = expectError(res, 429, 'RESEND_TOO_SOON');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(55);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(error.retry_after).toBe(retryAfter);
    });
  });

  describe('RATE_LIMITED (429), per-phone hourly cap', () => {
    let capped: TestApp;
    beforeAll(async () => {
      capped = await createTestApp({ env: { PHONE_SEND_LIMIT_HOUR: '2', RESEND_COOLDOWN_SECONDS: '0' } });
    });
    afterAll(() => capped?.close());

    it('the third send in the hour', async () => {
      const phone = nextPhone();
      expect((await sendCode(capped, phone)).status).toBe(200);
      const second = await sendCode(capped, phone, { resend: true });
      expect(second.status).toBe(200);
      // resend_after tells the truth: the next send must wait for the hourly window, not the (zero) cooldown.
      expect(second.body.resend_after).toBeGreaterThan(3500);
      expect(second.body.resend_after).toBeLessThanOrEqual(3600);
      const res = await sendCode(capped, phone);
      const error = expectError(res, 429, 'RATE_LIMITED');
      expect(error.limit).toBe('phone_hour');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(error.retry_after).toBe(retryAfter);
      // Another phone is not affected.
      expect((await sendCode(capped, nextPhone())).status).toBe(200);
    });
  });

  describe('CODE_INVALID (400) and MAX_ATTEMPTS_REACHED (403)', () => {
    it('attempts_left counts down 4, 3, 2, 1; the 5th wrong code is MAX_ATTEMPTS_REACHED, and so is any later try', async () => {
      const phone = nextPhone();
      const { code, id } = await pendingCode(phone);
      const wrong = wrongCode(code);
      for (const left of [4, 3, 2, 1]) {
        const error = expectError(await verify(t, phone, wrong), 400, 'CODE_INVALID');
        expect(error.attempts_left).toBe(left);
      }
      expect(await statusOf(id)).toBe('pending');
      const fifth = expectError(await verify(t, phone, wrong), 403, 'MAX_ATTEMPTS_REACHED');
      expect(fifth.attempts_left).toBe(0);
      expect(await statusOf(id)).toBe('max_attempts_reached');

      // Even the right code is refused now: the client must request a new one.
      expectError(await verify(t, phone, code), 403, 'MAX_ATTEMPTS_REACHED');
      expectError(await verify(t, phone, wrong), 403, 'MAX_ATTEMPTS_REACHED');
      const { rows } = await t.sql.query('SELECT attempts FROM sms_verifications WHERE id = $1', [id]);
      expect(rows[0].attempts).toBe(5);
      const { rows: users } = await t.sql.query('SELECT count(*)::int AS n FROM users WHERE phone_number = $1', [
        phone,
      ]);
      expect(users[0].n).toBe(0);
    });
  });

  describe('CODE_EXPIRED (410)', () => {
    it('a code past expires_at, and the row becomes expired', async () => {
      const phone = nextPhone();
      const { code, id } = await pendingCode(phone);
      await t.sql.query(`UPDATE sms_verifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      expectError(await verify(t, phone, code), 410, 'CODE_EXPIRED');
      expect(await statusOf(id)).toBe('expired');
      // Asking again still tells the client the code expired, not that it was wrong.
      expectError(await verify(t, phone, code), 410, 'CODE_EXPIRED');
      expectError(await verify(t, phone, wrongCode(code)), 410, 'CODE_EXPIRED');
    });
  });

  describe('NO_ACTIVE_CODE (404)', () => {
    it('a phone that was never sent a code', async () => {
      expectError(await verify(t, nextPhone(), '123456'), 404, 'NO_ACTIVE_CODE');
    });

    it('a code that was already used', async () => {
      const phone = nextPhone();
      const { code } = await pendingCode(phone);
      expect((await verify(t, phone, code)).status).toBe(200);
      expectError(await verify(t, phone, code), 404, 'NO_ACTIVE_CODE');
    });
  });

  describe('PHONE_LOCKED (423)', () => {
    it('send-code and verify-code on a locked phone, with Retry-After', async () => {
      const phone = nextPhone();
      const { code } = await pendingCode(phone);
      await t.sql.query(
        `INSERT INTO phone_locks (phone_number, locked_until, reason) VALUES ($1, now() + interval '1 hour', 'test')`,
        [phone],
      );

      const verifying = await verify(t, phone, code);
      const verifyError = expectError(verifying, 423, 'PHONE_LOCKED');
      const verifyRetry = Number(verifying.headers['retry-after']);
      expect(verifyRetry).toBeGreaterThan(3500);
      expect(verifyRetry).toBeLessThanOrEqual(3600);
      expect(verifyError.retry_after).toBe(verifyRetry);
      expect(typeof verifyError.locked_until).toBe('string');

      await ageCodes(t, phone, '2 minutes');
      const sending = await sendCode(t, phone);
      expectError(sending, 423, 'PHONE_LOCKED');
      expect(Number(sending.headers['retry-after'])).toBeGreaterThan(3500);
    });
  });

  describe('UNAUTHORIZED (401)', () => {
    it('/auth/me without a token', async () => {
      expectError(await t.http.get(ME), 401, 'UNAUTHORIZED');
    });

    it('/auth/me with a bad token, or a non-bearer scheme', async () => {
      expectError(await t.http.get(ME).set('Authorization', 'Bearer not.a.jwt'), 401, 'UNAUTHORIZED');
      expectError(
        await t.http.get(ME).set('Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'),
        401,
        'UNAUTHORIZED',
      );
      expectError(await t.http.get(ME).set('Authorization', 'Basic dXNlcjpwYXNz'), 401, 'UNAUTHORIZED');
    });

    it('/auth/me with a token of another deployment (its own signing key)', async () => {
      const other = await createTestApp({ env: { JWT_PRIVATE_KEYS: newSigningKey('ES256').pem } });
      try {
        const phone = nextPhone();
        const sent = await sendCode(other, phone);
        const login = await verify(other, phone, sent.body.debug_code);
        expect(login.status).toBe(200);
        expectError(
          await t.http.get(ME).set('Authorization', `Bearer ${login.body.access_token}`),
          401,
          'UNAUTHORIZED',
        );
      } finally {
        await other.close();
      }
    });

    it('refresh with an unknown token', async () => {
      expectError(await t.http.post(REFRESH).send({ refresh_token: 'x'.repeat(43) }), 401, 'UNAUTHORIZED');
    });
  });

  describe('REFRESH_TOKEN_REUSED (401)', () => {
    it('reusing a rotated refresh token revokes the session', async () => {
      const phone = nextPhone();
      const { code } = await pendingCode(phone);
      const login = await verify(t, phone, code);
      expect(login.status).toBe(200);
      const rotated = await t.http.post(REFRESH).send({ refresh_token: login.body.refresh_token });
      expect(rotated.status).toBe(200);
      // Past the grace window (REFRESH_REUSE_GRACE_SECONDS, 10 s by default): as if rotated a minute ago.
      await ageRefreshRotation(t, login.body.refresh_token, 60);

      expectError(
        await t.http.post(REFRESH).send({ refresh_token: login.body.refresh_token }),
        401,
        'REFRESH_TOKEN_REUSED',
      );
      // The whole session is gone: the newest refresh token and the access tokens no longer work.
      expectError(await t.http.post(REFRESH).send({ refresh_token: rotated.body.refresh_token }), 401, 'UNAUTHORIZED');
      expectError(
        await t.http.get(ME).set('Authorization', `Bearer ${rotated.body.access_token}`),
        401,
        'UNAUTHORIZED',
      );
      const { rows } = await t.sql.query('SELECT type FROM audit_events WHERE phone_number = $1 AND type = $2', [
        phone,
        'refresh_reuse_detected',
      ]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('NOT_FOUND (404)', () => {
    it('an unknown route', async () => {
      expectError(await t.http.post('/api/v1/nowhere').send({}), 404, 'NOT_FOUND');
      expectError(await t.http.get('/api/v1/sms-auth/send-code'), 404, 'NOT_FOUND');
    });
  });
});
