import { createTestApp, nextIp, nextPhone, type TestApp } from './support/test-app';
import { ageCodes, expectError, sendCode, verify, wrongCode } from './support/http-helpers';

function retryAfterOf(res: { headers: Record<string, string> }): number {
  const header = res.headers['retry-after'];
  expect(header).toMatch(/^\d+$/);
  return Number(header);
}

describe('limits (e2e)', () => {
  describe('per-phone resend cooldown (default RESEND_COOLDOWN_SECONDS=60)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t?.close());

    it('doubles with each further send in the hour: 60, 120, 240', async () => {
      const phone = nextPhone();
      const first = await sendCode(t, phone);
      expect(first.status).toBe(200);
      expect(first.body.resend_after).toBe(60);

      // Still inside the first cooldown.
      const early = await sendCode(t, phone, { resend: true });
      const earlyError = expectError(early, 429, 'RESEND_TOO_SOON');
      expect(earlyError.retry_after).toBe(retryAfterOf(early));
      expect(earlyError.retry_after).toBeLessThanOrEqual(60);
      expect(earlyError.retry_after).toBeGreaterThan(50);

      await ageCodes(t, phone, '61 seconds');
      const second = await sendCode(t, phone, { resend: true });
      expect(second.status).toBe(200);
      expect(second.body.resend_after).toBe(120);

      const third = await sendCode(t, phone, { resend: true });
      const error = expectError(third, 429, 'RESEND_TOO_SOON');
      const retryAfter = retryAfterOf(third);
      expect(error.retry_after).toBe(retryAfter);
      expect(retryAfter).toBeGreaterThan(110);
      expect(retryAfter).toBeLessThanOrEqual(120);

      // 61 s is not enough any more, 121 s is.
      await ageCodes(t, phone, '61 seconds');
      expectError(await sendCode(t, phone), 429, 'RESEND_TOO_SOON');
      await ageCodes(t, phone, '60 seconds');
      const fourth = await sendCode(t, phone);
      expect(fourth.status).toBe(200);
      expect(fourth.body.resend_after).toBe(240);

      // Refusals changed nothing: three codes, the last one pending and usable.
      const { rows } = await t.sql.query(
        'SELECT status FROM sms_verifications WHERE phone_number = $1 ORDER BY created_at',
        [phone],
      );
      expect(rows.map((row: { status: string }) => row.status)).toEqual(['canceled', 'canceled', 'pending']);
      expect((await verify(t, phone, fourth.body.debug_code)).status).toBe(200);
    });

    it('a refused send is audited as rate_limited', async () => {
      const phone = nextPhone();
      expect((await sendCode(t, phone)).status).toBe(200);
      expectError(await sendCode(t, phone), 429, 'RESEND_TOO_SOON');
      const { rows } = await t.sql.query(
        `SELECT outcome, details FROM audit_events WHERE phone_number = $1 AND type = 'rate_limited'`,
        [phone],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].outcome).toBe('failure');
      expect(rows[0].details).toMatchObject({ limit: 'phone_cooldown' });
    });
  });

  describe('per-phone daily cap', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: { PHONE_SEND_LIMIT_DAY: '3', PHONE_SEND_LIMIT_HOUR: '3', RESEND_COOLDOWN_SECONDS: '0' },
      });
    });
    afterAll(() => t?.close());

    it('the 4th send in 24 h is RATE_LIMITED (phone_day) even with the hourly cap far away', async () => {
      const phone = nextPhone();
      const resendAfter: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sent = await sendCode(t, phone, { resend: i % 2 === 1 });
        expect(sent.status).toBe(200);
        resendAfter.push(sent.body.resend_after);
        await ageCodes(t, phone, '2 hours');
      }
      expect(resendAfter.slice(0, 2)).toEqual([0, 0]);
      // After the 3rd, the next send waits until the oldest (then 4 h old) leaves the 24 h window: 20 h.
      expect(resendAfter[2]).toBeGreaterThan(20 * 3600 - 60);
      expect(resendAfter[2]).toBeLessThanOrEqual(20 * 3600);
      // Codes were sent 6 h, 4 h and 2 h ago: nothing in the last hour.
      const res = await sendCode(t, phone);
      const error = expectError(res, 429, 'RATE_LIMITED');
      expect(error.limit).toBe('phone_day');
      const retryAfter = retryAfterOf(res);
      expect(error.retry_after).toBe(retryAfter);
      // The oldest send (6 h ago) leaves the 24 h window in 18 h.
      expect(retryAfter).toBeGreaterThan(18 * 3600 - 60);
      expect(retryAfter).toBeLessThanOrEqual(18 * 3600);
      const { rows: audit } = await t.sql.query(
        `SELECT details FROM audit_events WHERE phone_number = $1 AND type = 'rate_limited'`,
        [phone],
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].details).toMatchObject({ limit: 'phone_day' });

      // Once the oldest send leaves the 24 h window, one more is allowed.
      await ageCodes(t, phone, '19 hours');
      expect((await sendCode(t, phone)).status).toBe(200);
      expectError(await sendCode(t, phone), 429, 'RATE_LIMITED');
    });
  });

  describe('phone lockout across codes', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: {
          PHONE_MAX_FAILURES: '6',
          OTP_MAX_ATTEMPTS: '3',
          RESEND_COOLDOWN_SECONDS: '0',
          PHONE_LOCK_SECONDS: '3600',
        },
      });
    });
    afterAll(() => t?.close());

    it('resending does not reset the failure count: the 6th wrong code locks the phone', async () => {
      const phone = nextPhone();
      const first = await sendCode(t, phone);
      expect(first.status).toBe(200);
      const wrong1 = wrongCode(first.body.debug_code);
      expect(expectError(await verify(t, phone, wrong1), 400, 'CODE_INVALID').attempts_left).toBe(2);
      expect(expectError(await verify(t, phone, wrong1), 400, 'CODE_INVALID').attempts_left).toBe(1);
      expectError(await verify(t, phone, wrong1), 403, 'MAX_ATTEMPTS_REACHED');

      const second = await sendCode(t, phone, { resend: true });
      expect(second.status).toBe(200);
      const wrong2 = wrongCode(second.body.debug_code);
      // attempts_left is per code (a fresh 3 for the new code)...
      expect(expectError(await verify(t, phone, wrong2), 400, 'CODE_INVALID').attempts_left).toBe(2);
      expect(expectError(await verify(t, phone, wrong2), 400, 'CODE_INVALID').attempts_left).toBe(1);
      // ...while the lock counts failures across codes: this is the 6th in 24 h.
      const locking = await verify(t, phone, wrong2);
      const lockError = expectError(locking, 423, 'PHONE_LOCKED');
      const retryAfter = retryAfterOf(locking);
      expect(retryAfter).toBeGreaterThan(3590);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(lockError.retry_after).toBe(retryAfter);

      const { rows: locks } = await t.sql.query(
        `SELECT locked_until > now() + interval '59 minutes' AS long_enough, locked_until <= now() + interval '3600 seconds' AS not_too_long FROM phone_locks WHERE phone_number = $1`,
        [phone],
      );
      expect(locks).toEqual([{ long_enough: true, not_too_long: true }]);
      const { rows: events } = await t.sql.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE phone_number = $1 AND type = 'phone_locked'`,
        [phone],
      );
      expect(events[0].n).toBe(1);

      // Locked: verify (even with the right code) and send alike.
      const verifying = await verify(t, phone, second.body.debug_code);
      expectError(verifying, 423, 'PHONE_LOCKED');
      expect(retryAfterOf(verifying)).toBeGreaterThan(3590);
      const sending = await sendCode(t, phone);
      expectError(sending, 423, 'PHONE_LOCKED');
      expect(retryAfterOf(sending)).toBeGreaterThan(3590);
      expectError(await sendCode(t, phone, { resend: true }), 423, 'PHONE_LOCKED');
      const { rows: users } = await t.sql.query('SELECT count(*)::int AS n FROM users WHERE phone_number = $1', [
        phone,
      ]);
      expect(users[0].n).toBe(0);

      // When the lock has run out (an hour passes: the codes age with it), the phone can request and use a code again.
      await ageCodes(t, phone, '61 minutes');
      await t.sql.query(`UPDATE phone_locks SET locked_until = now() - interval '1 second' WHERE phone_number = $1`, [
        phone,
      ]);
      const third = await sendCode(t, phone);
      expect(third.status).toBe(200);
      // A served lock wipes the slate: one wrong code is just a wrong code, not an instant relock.
      expect(
        expectError(await verify(t, phone, wrongCode(third.body.debug_code)), 400, 'CODE_INVALID').attempts_left,
      ).toBe(2);
      const verified = await verify(t, phone, third.body.debug_code);
      expect(verified.status).toBe(200);
      expect(verified.body.user.phone_number).toBe(phone);
    });

    it('after 3 wrong codes and a resend, one more wrong code is still CODE_INVALID (4 failures < 6)', async () => {
      const phone = nextPhone();
      const first = await sendCode(t, phone);
      for (let i = 0; i < 3; i++) await verify(t, phone, wrongCode(first.body.debug_code));
      const second = await sendCode(t, phone, { resend: true });
      expect(second.status).toBe(200);
      expect(
        expectError(await verify(t, phone, wrongCode(second.body.debug_code)), 400, 'CODE_INVALID').attempts_left,
      ).toBe(2);
      const { rows } = await t.sql.query(
        'SELECT coalesce(sum(attempts), 0)::int AS failures FROM sms_verifications WHERE phone_number = $1',
        [phone],
      );
      expect(rows[0].failures).toBe(4);
      const { rows: locks } = await t.sql.query('SELECT count(*)::int AS n FROM phone_locks WHERE phone_number = $1', [
        phone,
      ]);
      expect(locks[0].n).toBe(0);
      // The right code still works: failures below the limit do not lock.
      expect((await verify(t, phone, second.body.debug_code)).status).toBe(200);
    });

    it('a lock on one phone does not affect another', async () => {
      const locked = nextPhone();
      await t.sql.query(
        `INSERT INTO phone_locks (phone_number, locked_until, reason) VALUES ($1, now() + interval '1 hour', 'test')`,
        [locked],
      );
      expectError(await sendCode(t, locked), 423, 'PHONE_LOCKED');
      expect((await sendCode(t, nextPhone())).status).toBe(200);
    });
  });

  describe('per-IP limits (@nestjs/throttler, TRUST_PROXY=true)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { IP_SEND_LIMIT: '3', IP_VERIFY_LIMIT: '2', IP_LIMIT_WINDOW_SECONDS: '600' } });
    });
    afterAll(() => t?.close());

    it('the 4th send/resend from one address is RATE_LIMITED, another address is not', async () => {
      const ip = nextIp();
      expect((await sendCode(t, nextPhone(), { ip })).status).toBe(200);
      expect((await sendCode(t, nextPhone(), { ip, resend: true })).status).toBe(200);
      expect((await sendCode(t, nextPhone(), { ip })).status).toBe(200);

      const refusedPhone = nextPhone();
      const refused = await sendCode(t, refusedPhone, { ip, resend: true });
      const error = expectError(refused, 429, 'RATE_LIMITED');
      const retryAfter = retryAfterOf(refused);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      expect(error.retry_after).toBe(retryAfter);
      expect(error.limit).toBe('ip');
      expectError(await sendCode(t, nextPhone(), { ip }), 429, 'RATE_LIMITED');

      // Nothing was issued for the refused request.
      const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = $1', [
        refusedPhone,
      ]);
      expect(rows[0].n).toBe(0);

      // The refusal is audited with the client's address.
      const { rows: audit } = await t.sql.query(
        `SELECT outcome, details FROM audit_events WHERE type = 'rate_limited' AND ip = $1`,
        [ip],
      );
      expect(audit.length).toBeGreaterThanOrEqual(1);
      expect(audit[0].outcome).toBe('failure');
      expect(audit[0].details).toMatchObject({ limit: 'ip' });

      // Another address has its own bucket.
      expect((await sendCode(t, refusedPhone, { ip: nextIp() })).status).toBe(200);
      // Verify has its own bucket too: the exhausted send bucket does not block it.
      expectError(await verify(t, nextPhone(), '123456', ip), 404, 'NO_ACTIVE_CODE');
    });

    it('the 3rd verify from one address is RATE_LIMITED, whatever the phone', async () => {
      const ip = nextIp();
      const phone = nextPhone();
      const sent = await sendCode(t, phone, { ip });
      expect(sent.status).toBe(200);
      expectError(await verify(t, phone, wrongCode(sent.body.debug_code), ip), 400, 'CODE_INVALID');
      expectError(await verify(t, nextPhone(), '123456', ip), 404, 'NO_ACTIVE_CODE');

      const refused = await verify(t, phone, sent.body.debug_code, ip);
      const error = expectError(refused, 429, 'RATE_LIMITED');
      expect(error.limit).toBe('ip');
      expect(retryAfterOf(refused)).toBeLessThanOrEqual(600);
      // The refused verify did not consume the code: from another address it still works.
      const { rows } = await t.sql.query('SELECT status, attempts FROM sms_verifications WHERE id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0]).toEqual({ status: 'pending', attempts: 1 });
      expect((await verify(t, phone, sent.body.debug_code, nextIp())).status).toBe(200);

      const { rows: audit } = await t.sql.query(
        `SELECT details FROM audit_events WHERE type = 'rate_limited' AND ip = $1`,
        [ip],
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].details).toMatchObject({ limit: 'ip' });

      // Sending from that address is still allowed (separate bucket).
      expect((await sendCode(t, nextPhone(), { ip })).status).toBe(200);
    });
  });

  describe('per-IP limits with TRUST_PROXY=false', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { TRUST_PROXY: 'false', IP_SEND_LIMIT: '2' } });
    });
    afterAll(() => t?.close());

    it('ignores X-Forwarded-For: different forwarded addresses share one bucket', async () => {
      const first = nextIp();
      const second = nextIp();
      const third = nextIp();
      const sent = await sendCode(t, nextPhone(), { ip: first });
      expect(sent.status).toBe(200);
      expect((await sendCode(t, nextPhone(), { ip: second })).status).toBe(200);
      const refused = await sendCode(t, nextPhone(), { ip: third });
      expectError(refused, 429, 'RATE_LIMITED');
      expect(retryAfterOf(refused)).toBeGreaterThan(0);

      // The recorded address is the socket's, not the forwarded one.
      const { rows } = await t.sql.query('SELECT ip FROM sms_verifications WHERE id = $1', [sent.body.verification_id]);
      expect(rows[0].ip).not.toBe(first);
      expect(rows[0].ip).toMatch(/127\.0\.0\.1|::1/);
      const { rows: audit } = await t.sql.query(`SELECT ip FROM audit_events WHERE type = 'rate_limited'`);
      expect(audit).toHaveLength(1);
      expect(audit[0].ip).not.toBe(third);
    });
  });
});
