import type { AddressInfo } from 'node:net';
import { createTestApp, nextIp, nextPhone, type TestApp } from './support/test-app';

/**
 * SPEC §3: verification is atomic; one active code per phone (partial unique index); parallel refreshes of one
 * token stay inside the grace window (SPEC §7; reuse after it: test/hardening/refresh-grace.e2e-spec.ts).
 * Requests are fired truly in parallel over one listening server.
 */

interface Reply {
  status: number;
  body: any;
}

function httpClient(baseUrl: string) {
  return async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

function codesOf(replies: Reply[]): string[] {
  return replies.filter((reply) => reply.status !== 200).map((reply) => reply.body?.error?.code);
}

function wrongCodeFor(code: string): string {
  // Same length, every digit different: never the right one.
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}

describe('concurrency (SPEC §3, §7)', () => {
  let t: TestApp;
  let post: ReturnType<typeof httpClient>;
  let baseUrl: string;

  beforeAll(async () => {
    // A grace window far wider than a slow machine needs for 20 serialised refreshes (SPEC §7).
    t = await createTestApp({
      env: { OTP_MAX_ATTEMPTS: '5', PHONE_MAX_FAILURES: '100', REFRESH_REUSE_GRACE_SECONDS: '60' },
    });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    post = httpClient(baseUrl);
  });
  afterAll(() => t.close());

  async function sendCode(phone: string): Promise<{ verification_id: string; debug_code: string }> {
    const reply = await post('/api/v1/sms-auth/send-code', { phone_number: phone }, { 'x-forwarded-for': nextIp() });
    expect(reply.status).toBe(200);
    expect(reply.body.debug_code).toMatch(/^\d{6}$/);
    return reply.body;
  }

  async function login(phone: string): Promise<{ refresh_token: string; access_token: string; user: { id: string } }> {
    const sent = await sendCode(phone);
    const reply = await post(
      '/api/v1/sms-auth/verify-code',
      { phone_number: phone, code: sent.debug_code },
      { 'x-forwarded-for': nextIp() },
    );
    expect(reply.status).toBe(200);
    return reply.body;
  }

  it('25 parallel verifies with the right code: exactly one login, the rest NO_ACTIVE_CODE', async () => {
    const phone = nextPhone();
    const sent = await sendCode(phone);

    const replies = await Promise.all(
      Array.from({ length: 25 }, () =>
        post(
          '/api/v1/sms-auth/verify-code',
          { phone_number: phone, code: sent.debug_code },
          { 'x-forwarded-for': nextIp() },
        ),
      ),
    );

    const winners = replies.filter((reply) => reply.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0].body.user).toMatchObject({ phone_number: phone, is_new: true });
    const losers = replies.filter((reply) => reply.status !== 200);
    expect(losers.map((reply) => reply.status)).toEqual(Array(24).fill(404));
    expect(codesOf(replies)).toEqual(Array(24).fill('NO_ACTIVE_CODE'));

    const users = await t.sql.query('SELECT id FROM users WHERE phone_number = $1', [phone]);
    expect(users.rows).toHaveLength(1);
    expect(users.rows[0].id).toBe(winners[0].body.user.id);
    const sessions = await t.sql.query('SELECT id FROM sessions WHERE user_id = $1', [users.rows[0].id]);
    expect(sessions.rows).toHaveLength(1);
    const refreshTokens = await t.sql.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [
      sessions.rows[0].id,
    ]);
    expect(refreshTokens.rows[0].n).toBe(1);
    const verified = await t.sql.query(
      "SELECT verification_id, user_id, session_id FROM audit_events WHERE phone_number = $1 AND type = 'code_verified'",
      [phone],
    );
    expect(verified.rows).toEqual([
      { verification_id: sent.verification_id, user_id: users.rows[0].id, session_id: sessions.rows[0].id },
    ]);
    const tokenIssued = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE phone_number = $1 AND type = 'token_issued'",
      [phone],
    );
    expect(tokenIssued.rows[0].n).toBe(1);
    const row = await t.sql.query('SELECT status, attempts, user_id FROM sms_verifications WHERE id = $1', [
      sent.verification_id,
    ]);
    expect(row.rows[0]).toEqual({ status: 'approved', attempts: 0, user_id: users.rows[0].id });
  });

  it('20 parallel refreshes of one token: all 200 inside the grace window, every pair works, nothing revoked', async () => {
    const phone = nextPhone();
    const session = await login(phone);

    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        post('/api/v1/auth/refresh', { refresh_token: session.refresh_token }, { 'x-forwarded-for': nextIp() }),
      ),
    );

    // One rotation and 19 grace siblings (SPEC §7): a double submit never logs the user out.
    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200));
    expect(codesOf(replies)).toEqual([]);
    const refreshTokens = new Set(replies.map((reply) => reply.body.refresh_token as string));
    expect(refreshTokens.size).toBe(20);

    const sessions = await t.sql.query('SELECT id, revoked_at FROM sessions WHERE user_id = $1', [session.user.id]);
    expect(sessions.rows).toEqual([{ id: expect.any(String), revoked_at: null }]);
    const audit = await t.sql.query<{ type: string; n: number }>(
      "SELECT type, count(*)::int AS n FROM audit_events WHERE session_id = $1 AND type IN ('token_refreshed', 'refresh_reuse_detected', 'session_revoked') GROUP BY type",
      [sessions.rows[0].id],
    );
    expect(audit.rows).toEqual([{ type: 'token_refreshed', n: 20 }]);

    // Each new refresh token rotates once more, and the session's access tokens still work.
    for (const token of refreshTokens) {
      const after = await post('/api/v1/auth/refresh', { refresh_token: token });
      expect(after.status).toBe(200);
    }
    for (const accessToken of [session.access_token, ...replies.map((reply) => reply.body.access_token as string)]) {
      const me = await fetch(`${baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(me.status).toBe(200);
    }
    const after = await t.sql.query('SELECT revoked_at FROM sessions WHERE id = $1', [sessions.rows[0].id]);
    expect(after.rows[0].revoked_at).toBeNull();
  });

  it('10 parallel wrong verifies with OTP_MAX_ATTEMPTS=5: attempts stop at 5, 4 × CODE_INVALID then MAX_ATTEMPTS_REACHED', async () => {
    const phone = nextPhone();
    const sent = await sendCode(phone);
    const wrong = wrongCodeFor(sent.debug_code);

    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        post('/api/v1/sms-auth/verify-code', { phone_number: phone, code: wrong }, { 'x-forwarded-for': nextIp() }),
      ),
    );

    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(0);
    const invalid = replies.filter((reply) => reply.body?.error?.code === 'CODE_INVALID');
    const maxed = replies.filter((reply) => reply.body?.error?.code === 'MAX_ATTEMPTS_REACHED');
    expect(invalid).toHaveLength(4);
    expect(maxed).toHaveLength(6);
    for (const reply of invalid) expect(reply.status).toBe(400);
    for (const reply of maxed) expect(reply.status).toBe(403);
    // Each wrong try saw a distinct number of tries left: 4, 3, 2, 1.
    expect(invalid.map((reply) => reply.body.error.attempts_left).sort()).toEqual([1, 2, 3, 4]);

    const row = await t.sql.query('SELECT status, attempts, max_attempts FROM sms_verifications WHERE id = $1', [
      sent.verification_id,
    ]);
    expect(row.rows[0]).toEqual({ status: 'max_attempts_reached', attempts: 5, max_attempts: 5 });
    const maxEvents = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE verification_id = $1 AND type = 'max_attempts_reached'",
      [sent.verification_id],
    );
    expect(maxEvents.rows[0].n).toBe(1);

    // Even the right code no longer works on this row.
    const late = await post(
      '/api/v1/sms-auth/verify-code',
      { phone_number: phone, code: sent.debug_code },
      { 'x-forwarded-for': nextIp() },
    );
    expect(late.status).toBe(403);
    expect(late.body.error.code).toBe('MAX_ATTEMPTS_REACHED');
    const after = await t.sql.query('SELECT attempts FROM sms_verifications WHERE id = $1', [sent.verification_id]);
    expect(after.rows[0].attempts).toBeLessThanOrEqual(5);
  });

  it('15 parallel sends for one phone: exactly one 200, the rest RESEND_TOO_SOON, one pending row', async () => {
    const phone = nextPhone();

    const replies = await Promise.all(
      Array.from({ length: 15 }, () =>
        post('/api/v1/sms-auth/send-code', { phone_number: phone }, { 'x-forwarded-for': nextIp() }),
      ),
    );

    const winners = replies.filter((reply) => reply.status === 200);
    expect(winners).toHaveLength(1);
    expect(replies.filter((reply) => reply.status !== 200).map((reply) => reply.status)).toEqual(Array(14).fill(429));
    expect(codesOf(replies)).toEqual(Array(14).fill('RESEND_TOO_SOON'));

    const rows = await t.sql.query('SELECT id, status FROM sms_verifications WHERE phone_number = $1', [phone]);
    expect(rows.rows).toEqual([{ id: winners[0].body.verification_id, status: 'pending' }]);
    const limited = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE phone_number = $1 AND type = 'rate_limited'",
      [phone],
    );
    expect(limited.rows[0].n).toBe(14);
    const requested = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE phone_number = $1 AND type = 'code_requested'",
      [phone],
    );
    expect(requested.rows[0].n).toBe(1);
  });

  it('the partial unique index refuses a second pending row for one phone (23505)', async () => {
    const phone = nextPhone();
    await sendCode(phone);
    const insert = () =>
      t.sql.query(
        `INSERT INTO sms_verifications (phone_number, code_hash, status, max_attempts, locale, expires_at)
         VALUES ($1, repeat('0', 64), 'pending', 5, 'ru', now() + interval '5 minutes')`,
        [phone],
      );
    await expect(insert()).rejects.toMatchObject({
      code: '23505',
      constraint: 'uq_sms_verifications_one_pending_per_phone',
    });

    // Rows in other statuses are not constrained: only one *pending* per phone.
    await t.sql.query(
      `INSERT INTO sms_verifications (phone_number, code_hash, status, max_attempts, locale, expires_at)
       VALUES ($1, repeat('0', 64), 'canceled', 5, 'ru', now())`,
      [phone],
    );
    const pending = await t.sql.query(
      "SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = $1 AND status = 'pending'",
      [phone],
    );
    expect(pending.rows[0].n).toBe(1);
  });
});
