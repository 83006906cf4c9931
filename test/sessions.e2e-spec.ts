import { createTestApp, nextIp, nextPhone, type TestApp } from './support/test-app';
import { ageCodes, expectError, ME, REFRESH, sendCode } from './support/http-helpers';

const SESSIONS = '/api/v1/auth/sessions';
const LOGOUT_ALL = '/api/v1/auth/logout-all';

interface Device {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  userId: string;
  ip: string;
  userAgent: string;
}

function sessionIdOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).sid;
}

describe('sessions a user can see and end (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  /** Signs the phone in from one more device (its own IP and user agent), past the cooldown and caps. */
  async function signIn(
    phone: string,
    userAgent = `device-${Math.random().toString(36).slice(2, 8)}`,
  ): Promise<Device> {
    await ageCodes(t, phone, '25 hours');
    const ip = nextIp();
    const sent = await sendCode(t, phone, { ip });
    expect(sent.status).toBe(200);
    const verified = await t.http
      .post('/api/v1/sms-auth/verify-code')
      .set('X-Forwarded-For', ip)
      .set('User-Agent', userAgent)
      .send({ phone_number: phone, code: sent.body.debug_code });
    expect(verified.status).toBe(200);
    return {
      accessToken: verified.body.access_token,
      refreshToken: verified.body.refresh_token,
      sessionId: sessionIdOf(verified.body.access_token),
      userId: verified.body.user.id,
      ip,
      userAgent,
    };
  }

  const bearer = (device: Device) => `Bearer ${device.accessToken}`;
  const listSessions = (device: Device) => t.http.get(SESSIONS).set('Authorization', bearer(device));
  const me = (device: Device) => t.http.get(ME).set('Authorization', bearer(device));
  const refresh = (device: Device) => t.http.post(REFRESH).send({ refresh_token: device.refreshToken });

  async function revocationEvents(sessionIds: string[]): Promise<{ session_id: string; reason: string }[]> {
    const { rows } = await t.sql.query(
      `SELECT session_id, details->>'reason' AS reason FROM audit_events
        WHERE type = 'session_revoked' AND session_id = ANY($1::uuid[]) ORDER BY session_id`,
      [sessionIds],
    );
    return rows;
  }

  it('lists the active sessions with when, where and which one is this one; a refresh moves last_used_at', async () => {
    const phone = nextPhone();
    const phoneA = await signIn(phone, 'MyApp/1.0 (iPhone)');
    const laptop = await signIn(phone, 'Mozilla/5.0 (X11; Linux x86_64)');

    const listed = await listSessions(laptop);
    expect(listed.status).toBe(200);
    expect(listed.headers['cache-control']).toBe('no-store');
    expect(listed.body).toEqual({
      success: true,
      sessions: [
        {
          id: laptop.sessionId,
          created_at: expect.any(String),
          last_used_at: expect.any(String),
          expires_at: expect.any(String),
          ip: laptop.ip,
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
          current: true,
        },
        {
          id: phoneA.sessionId,
          created_at: expect.any(String),
          last_used_at: expect.any(String),
          expires_at: expect.any(String),
          ip: phoneA.ip,
          user_agent: 'MyApp/1.0 (iPhone)',
          current: false,
        },
      ],
    });
    const [laptopRow] = listed.body.sessions;
    expect(laptopRow.last_used_at).toBe(laptopRow.created_at);
    expect(Date.parse(laptopRow.expires_at) - Date.parse(laptopRow.created_at)).toBe(30 * 86_400_000);

    await t.sql.query(`UPDATE sessions SET created_at = created_at - interval '1 hour' WHERE id = $1`, [
      phoneA.sessionId,
    ]);
    expect((await refresh(phoneA)).status).toBe(200);
    const afterRefresh = await listSessions(phoneA);
    expect(afterRefresh.body.sessions.map((s: { id: string }) => s.id)).toEqual([phoneA.sessionId, laptop.sessionId]);
    const refreshed = afterRefresh.body.sessions[0];
    expect(Date.parse(refreshed.last_used_at)).toBeGreaterThan(Date.parse(refreshed.created_at));
    expect(afterRefresh.body.sessions.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
  });

  it('ending another device’s session stops that device at once: its access and refresh tokens are refused', async () => {
    const phone = nextPhone();
    const tablet = await signIn(phone);
    const laptop = await signIn(phone);
    expect((await me(tablet)).status).toBe(200);

    const ended = await t.http.delete(`${SESSIONS}/${tablet.sessionId}`).set('Authorization', bearer(laptop));
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ success: true, message: 'Session ended' });

    expectError(await me(tablet), 401, 'UNAUTHORIZED');
    expectError(await listSessions(tablet), 401, 'UNAUTHORIZED');
    expectError(await refresh(tablet), 401, 'UNAUTHORIZED');
    expect((await me(laptop)).status).toBe(200);
    const listed = await listSessions(laptop);
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([laptop.sessionId]);

    const { rows } = await t.sql.query(
      'SELECT revoked_at IS NOT NULL AS revoked, revoked_reason FROM sessions WHERE id = $1',
      [tablet.sessionId],
    );
    expect(rows).toEqual([{ revoked: true, revoked_reason: 'user' }]);
    expect(await revocationEvents([tablet.sessionId, laptop.sessionId])).toEqual([
      { session_id: tablet.sessionId, reason: 'user' },
    ]);
    const { rows: audited } = await t.sql.query(
      `SELECT user_id, phone_number, ip FROM audit_events WHERE type = 'session_revoked' AND session_id = $1`,
      [tablet.sessionId],
    );
    expect(audited).toEqual([{ user_id: laptop.userId, phone_number: phone, ip: expect.any(String) }]);

    // Ending it again: it is no longer an active session.
    expectError(
      await t.http.delete(`${SESSIONS}/${tablet.sessionId}`).set('Authorization', bearer(laptop)),
      404,
      'NOT_FOUND',
    );
    expect(await revocationEvents([tablet.sessionId])).toHaveLength(1);
  });

  it('ending the current session works like a logout', async () => {
    const device = await signIn(nextPhone());
    const ended = await t.http.delete(`${SESSIONS}/${device.sessionId}`).set('Authorization', bearer(device));
    expect(ended.status).toBe(200);
    expectError(await me(device), 401, 'UNAUTHORIZED');
    expectError(await refresh(device), 401, 'UNAUTHORIZED');
  });

  it('another user’s session answers 404 as if it did not exist, and keeps working; a non-UUID id is a 400', async () => {
    const mallory = await signIn(nextPhone());
    const alice = await signIn(nextPhone());

    expectError(
      await t.http.delete(`${SESSIONS}/${alice.sessionId}`).set('Authorization', bearer(mallory)),
      404,
      'NOT_FOUND',
    );
    expectError(
      await t.http.delete(`${SESSIONS}/00000000-0000-4000-8000-000000000000`).set('Authorization', bearer(mallory)),
      404,
      'NOT_FOUND',
    );
    expect((await me(alice)).status).toBe(200);
    expect(await revocationEvents([alice.sessionId])).toEqual([]);

    const invalid = await t.http.delete(`${SESSIONS}/not-a-uuid`).set('Authorization', bearer(mallory));
    expectError(invalid, 400, 'VALIDATION_FAILED');
    expect(invalid.body.error.fields).toEqual([{ field: 'id', messages: expect.any(Array) }]);
  });

  it('logout-all ends every session of the user, this one included, each audited; other users keep theirs', async () => {
    const phone = nextPhone();
    const devices = [await signIn(phone), await signIn(phone), await signIn(phone)];
    const bystander = await signIn(nextPhone());

    const all = await t.http.post(LOGOUT_ALL).set('Authorization', bearer(devices[1]));
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ success: true, message: 'Logged out everywhere', sessions_revoked: 3 });

    for (const device of devices) {
      expectError(await me(device), 401, 'UNAUTHORIZED');
      expectError(await refresh(device), 401, 'UNAUTHORIZED');
    }
    expectError(await t.http.post(LOGOUT_ALL).set('Authorization', bearer(devices[0])), 401, 'UNAUTHORIZED');
    expect((await me(bystander)).status).toBe(200);
    const ids = devices.map((device) => device.sessionId).sort();
    expect(await revocationEvents(ids)).toEqual(ids.map((id) => ({ session_id: id, reason: 'logout_all' })));
  });

  it('two logout-all at once end each session once: the counts add up and every session has one event', async () => {
    const phone = nextPhone();
    const devices = [await signIn(phone), await signIn(phone), await signIn(phone), await signIn(phone)];
    const answers = await Promise.all(
      devices.map((device) => t.http.post(LOGOUT_ALL).set('Authorization', bearer(device))),
    );
    // Each answer either ended sessions or found its own already ended (401 at the token check).
    const revoked = answers.filter((a) => a.status === 200).map((a) => a.body.sessions_revoked as number);
    for (const answer of answers) expect([200, 401]).toContain(answer.status);
    expect(revoked.reduce((sum, n) => sum + n, 0)).toBe(4);
    const ids = devices.map((device) => device.sessionId).sort();
    expect(await revocationEvents(ids)).toEqual(ids.map((id) => ({ session_id: id, reason: 'logout_all' })));
  });

  it('expired sessions are neither listed nor usable', async () => {
    const phone = nextPhone();
    const old = await signIn(phone);
    const current = await signIn(phone);
    await t.sql.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.sessionId]);
    const listed = await listSessions(current);
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([current.sessionId]);
    expectError(await me(old), 401, 'UNAUTHORIZED');
    expectError(
      await t.http.delete(`${SESSIONS}/${old.sessionId}`).set('Authorization', bearer(current)),
      404,
      'NOT_FOUND',
    );
  });

  it('needs an access token', async () => {
    expectError(await t.http.get(SESSIONS), 401, 'UNAUTHORIZED');
    expectError(await t.http.post(LOGOUT_ALL), 401, 'UNAUTHORIZED');
    expectError(await t.http.delete(`${SESSIONS}/00000000-0000-4000-8000-000000000000`), 401, 'UNAUTHORIZED');
  });
});
