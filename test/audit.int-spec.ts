import { createHash, createHmac } from 'node:crypto';
import { type Pool } from 'pg';
import request from 'supertest';
import { DeliveryChannel, SMS_PROVIDERS, type SmsProvider, SmsProviderError } from '@app/sms';
import { ageRefreshRotation } from './support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from './support/test-app';

/** SPEC §6: the audit trail (order, fields, append-only), no secret at rest, refusals change nothing else. */

const SEND = '/api/v1/sms-auth/send-code';
const VERIFY = '/api/v1/sms-auth/verify-code';
const REFRESH = '/api/v1/auth/refresh';
const LOGOUT = '/api/v1/auth/logout';

interface AuditRow {
  id: string;
  type: string;
  outcome: string;
  phone_number: string | null;
  user_id: string | null;
  verification_id: string | null;
  session_id: string | null;
  provider: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, any>;
}

function wrongCodeFor(code: string): string {
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}

async function auditFor(sql: Pool, phone: string): Promise<AuditRow[]> {
  const { rows } = await sql.query<AuditRow>(
    `SELECT id, type, outcome, phone_number, user_id, verification_id, session_id, provider, ip, user_agent, details
       FROM audit_events WHERE phone_number = $1 ORDER BY id`,
    [phone],
  );
  return rows;
}

async function auditCount(sql: Pool): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM audit_events');
  return rows[0].n;
}

/** Every row of every table but audit_events, to show that a refused request changed nothing else. */
async function snapshotState(sql: Pool): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of ['users', 'sessions', 'refresh_tokens', 'sms_verifications', 'sms_deliveries', 'phone_locks']) {
    const { rows } = await sql.query(`SELECT * FROM ${table} ORDER BY 1`);
    snapshot[table] = rows;
  }
  return snapshot;
}

describe('audit trail and data at rest (SPEC §6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No cooldown here, so that one phone can sign in twice in the flow below.
    t = await createTestApp({ env: { RESEND_COOLDOWN_SECONDS: '0' } });
  });
  afterAll(() => t.close());

  it('records one full flow in order, with phone, IP (X-Forwarded-For), user agent and ids', async () => {
    const phone = nextPhone();
    const ip = '203.0.113.77';
    const ua = `audit-test/${Date.now()}`;
    const headers = { 'X-Forwarded-For': ip, 'User-Agent': ua };

    const sent = await t.http.post(SEND).set(headers).send({ phone_number: phone }).expect(200);
    const wrong = await t.http
      .post(VERIFY)
      .set(headers)
      .send({ phone_number: phone, code: wrongCodeFor(sent.body.debug_code) })
      .expect(400);
    expect(wrong.body.error).toMatchObject({ code: 'CODE_INVALID', attempts_left: 4 });
    const login = await t.http
      .post(VERIFY)
      .set(headers)
      .send({ phone_number: phone, code: sent.body.debug_code })
      .expect(200);
    const userId = login.body.user.id;
    const refreshed = await t.http
      .post(REFRESH)
      .set(headers)
      .send({ refresh_token: login.body.refresh_token })
      .expect(200);
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);
    // Past the refresh grace window (SPEC §7): as if the token had been rotated a minute ago.
    await ageRefreshRotation(t, login.body.refresh_token, 60);
    const reuse = await t.http.post(REFRESH).set(headers).send({ refresh_token: login.body.refresh_token }).expect(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');

    const sent2 = await t.http.post(SEND).set(headers).send({ phone_number: phone }).expect(200);
    const login2 = await t.http
      .post(VERIFY)
      .set(headers)
      .send({ phone_number: phone, code: sent2.body.debug_code })
      .expect(200);
    expect(login2.body.user).toMatchObject({ id: userId, is_new: false });
    await t.http.post(LOGOUT).set(headers).send({ refresh_token: login2.body.refresh_token }).expect(200);

    const { rows: sessions } = await t.sql.query('SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at', [
      userId,
    ]);
    expect(sessions).toHaveLength(2);
    const [session1, session2] = sessions.map((row) => row.id as string);
    const v1 = sent.body.verification_id as string;
    const v2 = sent2.body.verification_id as string;

    const events = await auditFor(t.sql, phone);
    expect(events.map((event) => event.type)).toEqual([
      'code_requested',
      'code_sent',
      'code_verify_failed',
      'token_issued',
      'code_verified',
      'token_refreshed',
      'refresh_reuse_detected',
      'session_revoked',
      'code_requested',
      'code_sent',
      'token_issued',
      'code_verified',
      'session_revoked',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ phone_number: phone, ip, user_agent: ua });
      expect(['success', 'failure']).toContain(event.outcome);
    }
    const expected: Partial<AuditRow>[] = [
      { type: 'code_requested', outcome: 'success', verification_id: v1, user_id: null, session_id: null },
      { type: 'code_sent', outcome: 'success', verification_id: v1, provider: 'console' },
      { type: 'code_verify_failed', outcome: 'failure', verification_id: v1, user_id: null, session_id: null },
      { type: 'token_issued', outcome: 'success', verification_id: v1, user_id: userId, session_id: session1 },
      { type: 'code_verified', outcome: 'success', verification_id: v1, user_id: userId, session_id: session1 },
      { type: 'token_refreshed', outcome: 'success', user_id: userId, session_id: session1 },
      { type: 'refresh_reuse_detected', outcome: 'failure', user_id: userId, session_id: session1 },
      { type: 'session_revoked', user_id: userId, session_id: session1 },
      { type: 'code_requested', outcome: 'success', verification_id: v2 },
      { type: 'code_sent', outcome: 'success', verification_id: v2, provider: 'console' },
      { type: 'token_issued', outcome: 'success', verification_id: v2, user_id: userId, session_id: session2 },
      { type: 'code_verified', outcome: 'success', verification_id: v2, user_id: userId, session_id: session2 },
      { type: 'session_revoked', user_id: userId, session_id: session2 },
    ];
    events.forEach((event, index) => expect(event).toMatchObject(expected[index]));
    expect(events[2].details).toMatchObject({ reason: 'code_invalid', attempts_left: 4 });
    expect(events[7].details).toMatchObject({ reason: 'refresh_reuse' });
    expect(events[12].details).toMatchObject({ reason: 'logout' });
    // The code_sent event names the provider's message id, the sms_id of the response.
    expect(events[1].details).toMatchObject({ message_id: sent.body.sms_id });
    // Events carry their time.
    const { rows: times } = await t.sql.query(
      'SELECT count(*)::int AS n FROM audit_events WHERE phone_number = $1 AND occurred_at IS NULL',
      [phone],
    );
    expect(times[0].n).toBe(0);
  });

  describe('append-only, enforced by the database', () => {
    beforeAll(async () => {
      // At least a few rows to try to change.
      const phone = nextPhone();
      await t.http.post(SEND).set('X-Forwarded-For', nextIp()).send({ phone_number: phone }).expect(200);
    });

    it.each([
      ['UPDATE', "UPDATE audit_events SET outcome = 'tampered', details = '{}'::jsonb"],
      ['DELETE', 'DELETE FROM audit_events'],
      ['TRUNCATE', 'TRUNCATE audit_events'],
    ])('refuses %s', async (_, statement) => {
      const before = await t.sql.query('SELECT id, outcome, details FROM audit_events ORDER BY id');
      expect(before.rows.length).toBeGreaterThan(0);
      await expect(t.sql.query(statement)).rejects.toThrow(/append-only/);
      const after = await t.sql.query('SELECT id, outcome, details FROM audit_events ORDER BY id');
      expect(after.rows).toEqual(before.rows);
    });
  });

  it('keeps no code and no token in plain text anywhere; code_hash is the HMAC of SPEC §3', async () => {
    const codes = new Map<string, string>(); // verification_id → code
    const refreshTokens: string[] = [];
    const accessTokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const phone = nextPhone();
      const ip = nextIp();
      const first = await t.http
        .post(SEND)
        .set('X-Forwarded-For', ip)
        .send({ phone_number: phone, locale: 'en' })
        .expect(200);
      codes.set(first.body.verification_id, first.body.debug_code);
      // A resend: the first code is canceled, a second one issued.
      const second = await t.http
        .post('/api/v1/sms-auth/resend-code')
        .set('X-Forwarded-For', ip)
        .send({ phone_number: phone })
        .expect(200);
      codes.set(second.body.verification_id, second.body.debug_code);
      await t.http
        .post(VERIFY)
        .set('X-Forwarded-For', ip)
        .send({ phone_number: phone, code: wrongCodeFor(second.body.debug_code) })
        .expect(400);
      const login = await t.http
        .post(VERIFY)
        .set('X-Forwarded-For', ip)
        .send({ phone_number: phone, code: second.body.debug_code })
        .expect(200);
      refreshTokens.push(login.body.refresh_token);
      accessTokens.push(login.body.access_token);
      const refreshed = await t.http
        .post(REFRESH)
        .set('X-Forwarded-For', ip)
        .send({ refresh_token: login.body.refresh_token })
        .expect(200);
      refreshTokens.push(refreshed.body.refresh_token);
      accessTokens.push(refreshed.body.access_token);
    }

    const { rows: columns } = await t.sql.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
        WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'jsonb', 'json')`,
    );
    const tables = new Set(columns.map((column) => column.table_name));
    for (const table of ['sms_verifications', 'sms_deliveries', 'audit_events', 'users', 'sessions', 'refresh_tokens'])
      expect(tables).toContain(table);

    const leaks: string[] = [];
    for (const { table_name, column_name } of columns) {
      for (const code of codes.values()) {
        // The code as a standalone number (a phone number or a hash may contain its digits by chance).
        const { rows } = await t.sql.query(
          `SELECT count(*)::int AS n FROM "${table_name}" WHERE "${column_name}"::text ~ $1`,
          [`(^|[^0-9])${code}([^0-9]|$)`],
        );
        if (rows[0].n > 0) leaks.push(`code ${code} in ${table_name}.${column_name}`);
      }
      for (const token of refreshTokens) {
        const { rows } = await t.sql.query(
          `SELECT count(*)::int AS n FROM "${table_name}" WHERE strpos("${column_name}"::text, $1) > 0`,
          [token],
        );
        if (rows[0].n > 0) leaks.push(`refresh token in ${table_name}.${column_name}`);
      }
      for (const token of accessTokens) {
        // The JWT's signature part is what makes it a credential.
        const signature = token.split('.')[2];
        const { rows } = await t.sql.query(
          `SELECT count(*)::int AS n FROM "${table_name}" WHERE strpos("${column_name}"::text, $1) > 0`,
          [signature],
        );
        if (rows[0].n > 0) leaks.push(`access token in ${table_name}.${column_name}`);
      }
    }
    expect(leaks).toEqual([]);

    const { rows } = await t.sql.query<{ id: string; code_hash: string }>(
      'SELECT id, code_hash FROM sms_verifications WHERE id = ANY($1::uuid[])',
      [[...codes.keys()]],
    );
    expect(rows).toHaveLength(codes.size);
    const hashes = new Set<string>();
    for (const row of rows) {
      const code = codes.get(row.id)!;
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.code_hash).not.toBe(createHash('sha256').update(code).digest('hex'));
      expect(row.code_hash).toBe(createHmac('sha256', t.env.OTP_SECRET).update(`${row.id}:${code}`).digest('hex'));
      hashes.add(row.code_hash);
    }
    expect(hashes.size).toBe(rows.length);

    // Refresh tokens are stored only as their hash.
    for (const token of refreshTokens) {
      const { rows: stored } = await t.sql.query(
        'SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = $1',
        [createHash('sha256').update(token).digest('hex')],
      );
      expect(stored[0].n).toBe(1);
    }
  });
});

describe('a refused send changes nothing but its audit row', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RESEND_COOLDOWN_SECONDS: '60' } });
  });
  afterAll(() => t.close());

  it('RESEND_TOO_SOON leaves every table unchanged and adds one rate_limited event', async () => {
    const phone = nextPhone();
    const ip = nextIp();
    await t.http.post(SEND).set('X-Forwarded-For', ip).send({ phone_number: phone }).expect(200);

    const before = await snapshotState(t.sql);
    const eventsBefore = await auditCount(t.sql);
    const refused = await t.http
      .post('/api/v1/sms-auth/resend-code')
      .set('X-Forwarded-For', ip)
      .set('User-Agent', 'refused/1')
      .send({ phone_number: phone })
      .expect(429);
    expect(refused.body.error.code).toBe('RESEND_TOO_SOON');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    expect(await snapshotState(t.sql)).toEqual(before);
    expect(await auditCount(t.sql)).toBe(eventsBefore + 1);
    const events = await auditFor(t.sql, phone);
    expect(events[events.length - 1]).toMatchObject({
      type: 'rate_limited',
      outcome: 'failure',
      phone_number: phone,
      ip,
      user_agent: 'refused/1',
    });
  });
});

/** Like createTestApp, but with one `console` provider that fails as `failure()` says. */
function createAppWithFailingProvider(failure: () => SmsProviderError): Promise<TestApp> {
  const provider: SmsProvider = {
    name: 'console',
    channel: DeliveryChannel.Sms,
    send: () => Promise.reject(failure()),
  };
  return createTestApp({ overrides: [{ provide: SMS_PROVIDERS, useValue: new Map([['console', provider]]) }] });
}

describe('a failing SMS provider', () => {
  let failure: SmsProviderError = new SmsProviderError('rejected', 'console', '42', 'refused');
  let failing: Awaited<ReturnType<typeof createAppWithFailingProvider>>;
  beforeAll(async () => {
    failing = await createAppWithFailingProvider(() => failure);
  });
  afterAll(() => failing.close());

  it('rejected: 502 SMS_PROVIDER_REJECTED; the code is failed, its delivery attempt and code_send_failed recorded', async () => {
    failure = new SmsProviderError('rejected', 'console', '42', 'refused');
    const phone = nextPhone();
    const ip = nextIp();
    const response = await request(failing.app.getHttpServer())
      .post(SEND)
      .set('X-Forwarded-For', ip)
      .send({ phone_number: phone })
      .expect(502);
    expect(response.body).toMatchObject({
      success: false,
      error: { code: 'SMS_PROVIDER_REJECTED', provider: 'console', provider_code: '42' },
    });
    expect(response.body.debug_code).toBeUndefined();

    const { rows: verifications } = await failing.sql.query(
      'SELECT id, status, delivery_status FROM sms_verifications WHERE phone_number = $1',
      [phone],
    );
    expect(verifications).toHaveLength(1);
    expect(verifications[0]).toMatchObject({ status: 'failed', delivery_status: 'failed' });
    const { rows: deliveries } = await failing.sql.query(
      'SELECT attempt_number, provider, provider_message_id, status, error_code, error_message FROM sms_deliveries WHERE verification_id = $1',
      [verifications[0].id],
    );
    expect(deliveries).toEqual([
      {
        attempt_number: 1,
        provider: 'console',
        provider_message_id: null,
        status: 'failed',
        error_code: '42',
        error_message: 'refused',
      },
    ]);

    const events = await auditFor(failing.sql, phone);
    expect(events.map((event) => event.type)).toEqual(['code_requested', 'code_send_failed']);
    expect(events[1]).toMatchObject({
      outcome: 'failure',
      provider: 'console',
      verification_id: verifications[0].id,
      ip,
    });
    expect(events[1].details).toMatchObject({ error_code: 'SMS_PROVIDER_REJECTED', provider_code: '42' });
  });

  it('unavailable: 503 SMS_PROVIDER_UNAVAILABLE; the code is failed and code_send_failed recorded', async () => {
    failure = new SmsProviderError('unavailable', 'console', 'timeout', 'no answer');
    const phone = nextPhone();
    const response = await request(failing.app.getHttpServer())
      .post(SEND)
      .set('X-Forwarded-For', nextIp())
      .send({ phone_number: phone })
      .expect(503);
    expect(response.body).toMatchObject({
      success: false,
      error: { code: 'SMS_PROVIDER_UNAVAILABLE', provider: 'console', provider_code: 'timeout' },
    });

    const { rows: verifications } = await failing.sql.query(
      'SELECT id, status FROM sms_verifications WHERE phone_number = $1',
      [phone],
    );
    expect(verifications).toEqual([{ id: expect.any(String), status: 'failed' }]);
    const { rows: deliveries } = await failing.sql.query(
      'SELECT provider, status, error_code FROM sms_deliveries WHERE verification_id = $1',
      [verifications[0].id],
    );
    expect(deliveries).toEqual([{ provider: 'console', status: 'failed', error_code: 'timeout' }]);
    const events = await auditFor(failing.sql, phone);
    expect(events.map((event) => event.type)).toEqual(['code_requested', 'code_send_failed']);
    expect(events[1].details).toMatchObject({ error_code: 'SMS_PROVIDER_UNAVAILABLE', provider_code: 'timeout' });

    // Nothing was sent, so nothing can be verified.
    const verify = await request(failing.app.getHttpServer())
      .post(VERIFY)
      .set('X-Forwarded-For', nextIp())
      .send({ phone_number: phone, code: '123456' });
    expect(verify.status).toBe(404);
  });
});
