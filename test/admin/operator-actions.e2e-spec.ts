import type { Response } from 'supertest';
import { hotPathFunctionDefinition } from '../../migrations/1795300000000-HotPathFunctions';
import { PhoneBlocks1795310000000 } from '../../migrations/1795310000000-PhoneBlocks';
import { schemaDataSource } from '../support/migrate';
import { createTestDatabase } from '../support/test-database';
import { expectError, ME, REFRESH, sendCode, verify, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { ADMIN_API_KEY, adminGet } from './admin-helpers';

const PHONES = '/api/v1/admin/phones';
const USERS = '/api/v1/admin/users';
const TEST_NUMBER = '+77000000001';
const TEST_CODE = '111111';
const OPERATOR_IP = '198.51.100.77';
const OPERATOR_AGENT = 'ops-console/1.0';
const SOME_UUID = '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c';

interface Login {
  phone: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

interface Event {
  type: string;
  outcome: string;
  phone_number: string | null;
  user_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

const path = (phone: string, action = '') => `${PHONES}/${encodeURIComponent(phone)}${action}`;

describe('operators’ actions (SPEC §7): unlock, block, unblock, revoke sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMIN_API_KEY,
        // No cooldown and caps far off: the tests send many codes to one phone.
        RESEND_COOLDOWN_SECONDS: '0',
        PHONE_SEND_LIMIT_HOUR: '1000',
        PHONE_SEND_LIMIT_DAY: '1000',
        PHONE_MAX_FAILURES: '3',
        OTP_MAX_ATTEMPTS: '5',
        PHONE_LOCK_SECONDS: '3600',
        SMS_TEST_NUMBERS: `${TEST_NUMBER}:${TEST_CODE}`,
      },
    });
  });
  afterAll(() => t?.close());

  /** An admin POST or DELETE with the operators' key and address; `body` undefined sends none. */
  function act(method: 'post' | 'delete', url: string, body?: object, key = ADMIN_API_KEY) {
    const req = t.http[method](url)
      .set('Authorization', `Bearer ${key}`)
      .set('X-Forwarded-For', OPERATOR_IP)
      .set('User-Agent', OPERATOR_AGENT);
    return body === undefined ? req : req.send(body);
  }

  function ok(res: Response): Record<string, unknown> {
    if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function login(phone = nextPhone()): Promise<Login> {
    const sent = ok(await sendCode(t, phone, { ip: nextIp() }));
    const body = ok(await verify(t, phone, sent.debug_code as string, nextIp())) as {
      access_token: string;
      refresh_token: string;
      user: { id: string };
    };
    return { phone, userId: body.user.id, accessToken: body.access_token, refreshToken: body.refresh_token };
  }

  const me = (login: Login) => t.http.get(ME).set('Authorization', `Bearer ${login.accessToken}`);
  const refresh = (token: string) => t.http.post(REFRESH).send({ refresh_token: token });

  async function eventsOf(phone: string, type: string): Promise<Event[]> {
    const { rows } = await t.sql.query<Event>(
      `SELECT type, outcome, phone_number, user_id::text, session_id::text, ip, user_agent, details
         FROM audit_events WHERE phone_number = $1 AND type = $2 ORDER BY id`,
      [phone, type],
    );
    return rows;
  }

  async function count(sql: string, params: unknown[]): Promise<number> {
    const { rows } = await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
    return rows[0].n;
  }

  /** Sends, deliveries and code_sent events of a phone: what a provider call leaves behind. */
  async function providerTrace(phone: string) {
    return {
      codes: await count('sms_verifications WHERE phone_number = $1', [phone]),
      deliveries: await count(
        'sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id WHERE v.phone_number = $1',
        [phone],
      ),
      sent: await count(`audit_events WHERE phone_number = $1 AND type = 'code_sent'`, [phone]),
    };
  }

  /** Locks a phone the way a guesser does: wrong codes until PHONE_MAX_FAILURES (3). */
  async function lockByWrongCodes(phone: string): Promise<void> {
    const sent = ok(await sendCode(t, phone, { ip: nextIp() }));
    const wrong = wrongCode(sent.debug_code as string);
    expectError(await verify(t, phone, wrong), 400, 'CODE_INVALID');
    expectError(await verify(t, phone, wrong), 400, 'CODE_INVALID');
    expectError(await verify(t, phone, wrong), 423, 'PHONE_LOCKED');
    expectError(await sendCode(t, phone), 423, 'PHONE_LOCKED');
  }

  describe('GET /admin/phones/:phone', () => {
    it('a number nobody used: nothing blocked, no lock, no user', async () => {
      const phone = nextPhone();
      expect(ok(await adminGet(t, path(phone)))).toEqual({
        success: true,
        phone_number: phone,
        blocked: null,
        locked_until: null,
        user: null,
      });
    });

    it('the user with its active sessions, then the lock, then the block (each state in turn)', async () => {
      const first = await login();
      const phone = first.phone;
      await login(phone);
      const signedIn = ok(await adminGet(t, path(phone)));
      expect(signedIn).toEqual({
        success: true,
        phone_number: phone,
        blocked: null,
        locked_until: null,
        user: {
          id: first.userId,
          created_at: expect.any(String),
          last_login_at: expect.any(String),
          active_sessions: 2,
        },
      });

      await lockByWrongCodes(phone);
      const locked = ok(await adminGet(t, path(phone)));
      const { rows } = await t.sql.query<{ locked_until: Date }>(
        'SELECT locked_until FROM phone_locks WHERE phone_number = $1',
        [phone],
      );
      expect(locked.locked_until).toBe(rows[0].locked_until.toISOString());
      expect(locked.blocked).toBeNull();

      ok(await act('post', path(phone, '/block'), { note: 'pumping' }));
      const blocked = ok(await adminGet(t, path(phone)));
      expect(blocked).toEqual({
        success: true,
        phone_number: phone,
        blocked: { blocked_at: expect.any(String), note: 'pumping' },
        locked_until: locked.locked_until,
        user: { ...(signedIn.user as object), active_sessions: 0 },
      });
      expect(Number.isNaN(Date.parse((blocked.blocked as { blocked_at: string }).blocked_at))).toBe(false);

      ok(await act('post', path(phone, '/unlock')));
      ok(await act('delete', path(phone, '/block')));
      expect(ok(await adminGet(t, path(phone)))).toMatchObject({ blocked: null, locked_until: null });
    });

    it('a served lock is no lock: locked_until is null once it has ended', async () => {
      const phone = nextPhone();
      await t.sql.query(
        `INSERT INTO phone_locks (phone_number, locked_until, reason) VALUES ($1, now() - interval '1 second', 'test')`,
        [phone],
      );
      expect(ok(await adminGet(t, path(phone))).locked_until).toBeNull();
    });

    it('every form send-code accepts names the same number: %2B, digits, national form', async () => {
      const phone = nextPhone();
      ok(await act('post', path(phone, '/block'), { note: 'forms' }));
      const national = `8${phone.slice(2)}`;
      for (const form of [
        encodeURIComponent(phone),
        phone.slice(1),
        national,
        encodeURIComponent(`8 (${phone.slice(2, 5)}) ${phone.slice(5)}`),
      ]) {
        const res = ok(await adminGet(t, `${PHONES}/${form}`));
        expect(res.phone_number).toBe(phone);
        expect(res.blocked).toMatchObject({ note: 'forms' });
      }
    });
  });

  describe('POST /admin/phones/:phone/unlock', () => {
    it('ends a real lock: sending and verifying work again, and the unlock is audited with the note', async () => {
      const phone = nextPhone();
      await lockByWrongCodes(phone);
      const { rows } = await t.sql.query<{ locked_until: Date }>(
        'SELECT locked_until FROM phone_locks WHERE phone_number = $1',
        [phone],
      );

      const res = await act('post', path(phone, '/unlock'), { note: 'Ticket #4821' });
      expect(ok(res)).toEqual({ success: true, phone_number: phone, was_locked: true });

      const sent = ok(await sendCode(t, phone, { ip: nextIp() }));
      // The wrong codes before the unlock no longer count: two more wrong ones do not lock again.
      const wrong = wrongCode(sent.debug_code as string);
      expectError(await verify(t, phone, wrong), 400, 'CODE_INVALID');
      expectError(await verify(t, phone, wrong), 400, 'CODE_INVALID');
      expect(ok(await verify(t, phone, sent.debug_code as string)).access_token).toEqual(expect.any(String));

      const events = await eventsOf(phone, 'phone_unlocked');
      expect(events).toEqual([
        {
          type: 'phone_unlocked',
          outcome: 'success',
          phone_number: phone,
          user_id: null,
          session_id: null,
          ip: OPERATOR_IP,
          user_agent: OPERATOR_AGENT,
          details: { note: 'Ticket #4821', was_locked: true, locked_until: rows[0].locked_until.toISOString() },
        },
      ]);
    });

    it('an unlocked phone: was_locked false, still audited (note null without a body)', async () => {
      const phone = nextPhone();
      expect(ok(await act('post', path(phone, '/unlock')))).toEqual({
        success: true,
        phone_number: phone,
        was_locked: false,
      });
      expect(ok(await act('post', path(phone, '/unlock'), {})).was_locked).toBe(false);
      // A JSON content type with an empty body (what a fetch() without a body may send), and an explicit null.
      const empty = act('post', path(phone, '/unlock')).set('Content-Type', 'application/json');
      expect(ok(await empty).was_locked).toBe(false);
      expect(ok(await act('post', path(phone, '/unlock'), { note: null })).was_locked).toBe(false);
      const events = await eventsOf(phone, 'phone_unlocked');
      expect(events.map((event) => event.details)).toEqual(
        Array(4).fill({ note: null, was_locked: false, locked_until: null }),
      );
    });
  });

  describe('POST /admin/phones/:phone/block', () => {
    it('send, resend and verify answer 403 PHONE_BLOCKED without calling a provider; sessions end', async () => {
      const user = await login();
      const phone = user.phone;
      const pending = ok(await sendCode(t, phone, { ip: nextIp() }));
      const other = await login();

      const res = await act('post', path(phone, '/block'), { note: 'SMS pumping' });
      const body = ok(res);
      expect(body).toEqual({
        success: true,
        phone_number: phone,
        blocked_at: expect.any(String),
        was_blocked: false,
        sessions_revoked: 1,
      });

      // The pending code is canceled.
      const { rows } = await t.sql.query('SELECT status FROM sms_verifications WHERE id = $1', [
        pending.verification_id,
      ]);
      expect(rows).toEqual([{ status: 'canceled' }]);

      const before = await providerTrace(phone);
      for (const refused of [
        await sendCode(t, phone),
        await sendCode(t, phone, { resend: true }),
        await verify(t, phone, pending.debug_code as string),
      ]) {
        const error = expectError(refused, 403, 'PHONE_BLOCKED');
        expect(error).toEqual({ code: 'PHONE_BLOCKED', message: 'This number is blocked by the operator' });
      }
      expect(await providerTrace(phone)).toEqual(before);
      const sendFailures = await eventsOf(phone, 'code_send_failed');
      expect(sendFailures.map((event) => event.details)).toEqual([
        { action: 'send', reason: 'phone_blocked' },
        { action: 'resend', reason: 'phone_blocked' },
      ]);
      expect((await eventsOf(phone, 'code_verify_failed')).map((event) => event.details)).toEqual([
        { reason: 'phone_blocked' },
      ]);

      // The user's tokens stop working; the other user's do not.
      expectError(await me(user), 401, 'UNAUTHORIZED');
      expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED');
      expect((await me(other)).status).toBe(200);
      expect((await refresh(other.refreshToken)).status).toBe(200);

      const { rows: sessions } = await t.sql.query('SELECT id::text, revoked_reason FROM sessions WHERE user_id = $1', [
        user.userId,
      ]);
      expect(sessions).toEqual([{ id: expect.any(String), revoked_reason: 'phone_blocked' }]);
      expect(await eventsOf(phone, 'phone_blocked')).toEqual([
        {
          type: 'phone_blocked',
          outcome: 'success',
          phone_number: phone,
          user_id: null,
          session_id: null,
          ip: OPERATOR_IP,
          user_agent: OPERATOR_AGENT,
          details: { note: 'SMS pumping', was_blocked: false, sessions_revoked: 1 },
        },
      ]);
      expect(await eventsOf(phone, 'session_revoked')).toEqual([
        {
          type: 'session_revoked',
          outcome: 'success',
          phone_number: phone,
          user_id: user.userId,
          session_id: sessions[0].id,
          ip: OPERATOR_IP,
          user_agent: OPERATOR_AGENT,
          details: { reason: 'phone_blocked' },
        },
      ]);
    });

    it('blocking again keeps blocked_at, replaces the note and says was_blocked', async () => {
      const phone = nextPhone();
      const first = ok(await act('post', path(phone, '/block'), { note: 'first' }));
      const again = ok(await act('post', path(phone, '/block'), { note: 'second' }));
      expect(again).toEqual({
        success: true,
        phone_number: phone,
        blocked_at: first.blocked_at,
        was_blocked: true,
        sessions_revoked: 0,
      });
      expect(ok(await adminGet(t, path(phone))).blocked).toEqual({ blocked_at: first.blocked_at, note: 'second' });
      expect((await eventsOf(phone, 'phone_blocked')).map((event) => event.details)).toEqual([
        { note: 'first', was_blocked: false, sessions_revoked: 0 },
        { note: 'second', was_blocked: true, sessions_revoked: 0 },
      ]);
    });

    it('a blocked test number is blocked too, before its fixed code is issued', async () => {
      expect(ok(await sendCode(t, TEST_NUMBER, { ip: nextIp() })).debug_code).toBe(TEST_CODE);
      ok(await act('post', path(TEST_NUMBER, '/block'), { note: 'reviewer account misused' }));
      const before = await providerTrace(TEST_NUMBER);
      expectError(await sendCode(t, TEST_NUMBER), 403, 'PHONE_BLOCKED');
      expectError(await verify(t, TEST_NUMBER, TEST_CODE), 403, 'PHONE_BLOCKED');
      expect(await providerTrace(TEST_NUMBER)).toEqual(before);
      ok(await act('delete', path(TEST_NUMBER, '/block')));
      expect((await sendCode(t, TEST_NUMBER, { ip: nextIp() })).status).toBe(200);
    });

    it('the block is checked before the lock: a locked and blocked phone answers PHONE_BLOCKED', async () => {
      const phone = nextPhone();
      await lockByWrongCodes(phone);
      ok(await act('post', path(phone, '/block')));
      expectError(await sendCode(t, phone), 403, 'PHONE_BLOCKED');
      expectError(await verify(t, phone, '123456'), 403, 'PHONE_BLOCKED');
    });

    it('20 sends racing a block: each answers 200 (reserved before it) or 403, none is reserved after it', async () => {
      const phone = nextPhone();
      ok(await sendCode(t, phone, { ip: nextIp() }));
      const send = () => sendCode(t, phone, { ip: nextIp() });
      // Supertest sends a request when it is awaited: all 21 go out together, the block amid the sends.
      const replies = await Promise.all([
        ...Array.from({ length: 10 }, send),
        act('post', path(phone, '/block'), { note: 'race' }),
        ...Array.from({ length: 10 }, send),
      ]);
      const [blocked] = replies.splice(10, 1);
      const answers = replies;
      expect(ok(blocked).was_blocked).toBe(false);
      // RESEND_TOO_SOON with no cooldown: a reservation whose transaction started before that of a send it
      // waited for sees that send as later than its own now() (sms_auth_send_decision); a wait of 1 s, and not
      // the block's doing. Anything else would be.
      const outcomes = answers.map((answer) =>
        answer.status === 200
          ? 'reserved'
          : answer.body.error?.code === 'RESEND_TOO_SOON' && answer.body.error.retry_after === 1
            ? 'cooldown artefact'
            : `${answer.status} ${answer.body.error?.code}`,
      );
      expect(
        outcomes.filter((o) => o !== 'reserved' && o !== '403 PHONE_BLOCKED' && o !== 'cooldown artefact'),
      ).toEqual([]);
      for (const answer of answers) if (answer.status === 403) expectError(answer, 403, 'PHONE_BLOCKED');
      // A code reserved after the block would still be pending: the block canceled every earlier one.
      expect(await count(`sms_verifications WHERE phone_number = $1 AND status = 'pending'`, [phone])).toBe(0);
      // And once the block answered, every send is refused.
      const after = await Promise.all(Array.from({ length: 5 }, () => sendCode(t, phone, { ip: nextIp() })));
      for (const answer of after) expectError(answer, 403, 'PHONE_BLOCKED');
      const reserved = answers.filter((answer) => answer.status === 200).length;
      expect(await count(`audit_events WHERE phone_number = $1 AND type = 'code_requested'`, [phone])).toBe(
        1 + reserved,
      );
    });
  });

  describe('DELETE /admin/phones/:phone/block', () => {
    it('unblocks: send works again; audited with the note; a second unblock says was_blocked false', async () => {
      const user = await login();
      const phone = user.phone;
      ok(await act('post', path(phone, '/block'), { note: 'check' }));
      expectError(await sendCode(t, phone), 403, 'PHONE_BLOCKED');

      expect(ok(await act('delete', path(phone, '/block'), { note: 'cleared' }))).toEqual({
        success: true,
        phone_number: phone,
        was_blocked: true,
      });
      const sent = ok(await sendCode(t, phone, { ip: nextIp() }));
      expect((await verify(t, phone, sent.debug_code as string)).status).toBe(200);

      expect(ok(await act('delete', path(phone, '/block'))).was_blocked).toBe(false);
      const events = await eventsOf(phone, 'phone_unblocked');
      expect(events.map((event) => [event.ip, event.user_agent, event.details])).toEqual([
        [OPERATOR_IP, OPERATOR_AGENT, { note: 'cleared', was_blocked: true }],
        [OPERATOR_IP, OPERATOR_AGENT, { note: null, was_blocked: false }],
      ]);
    });
  });

  describe('POST /admin/users/:id/revoke-sessions', () => {
    it("ends every session of the user (refresh refused, /auth/me 401), other users' untouched", async () => {
      const first = await login();
      const second = await login(first.phone);
      const other = await login();

      const res = await act('post', `${USERS}/${first.userId}/revoke-sessions`, { note: 'stolen phone' });
      expect(ok(res)).toEqual({ success: true, user_id: first.userId, sessions_revoked: 2 });

      for (const session of [first, second]) {
        expectError(await me(session), 401, 'UNAUTHORIZED');
        expectError(await refresh(session.refreshToken), 401, 'UNAUTHORIZED');
      }
      expect((await me(other)).status).toBe(200);
      expect((await refresh(other.refreshToken)).status).toBe(200);

      const revoked = await eventsOf(first.phone, 'session_revoked');
      expect(revoked.map((event) => [event.user_id, event.details])).toEqual([
        [first.userId, { reason: 'operator' }],
        [first.userId, { reason: 'operator' }],
      ]);
      expect(new Set(revoked.map((event) => event.session_id)).size).toBe(2);
      expect(await eventsOf(first.phone, 'user_sessions_revoked')).toEqual([
        {
          type: 'user_sessions_revoked',
          outcome: 'success',
          phone_number: first.phone,
          user_id: first.userId,
          session_id: null,
          ip: OPERATOR_IP,
          user_agent: OPERATOR_AGENT,
          details: { note: 'stolen phone', sessions_revoked: 2 },
        },
      ]);

      // Nothing left to end; signing in again works.
      expect(ok(await act('post', `${USERS}/${first.userId}/revoke-sessions`)).sessions_revoked).toBe(0);
      const again = await login(first.phone);
      expect((await me(again)).status).toBe(200);
    });

    it('404 NOT_FOUND for an unknown user, 400 VALIDATION_FAILED for an id that is no UUID', async () => {
      expectError(await act('post', `${USERS}/${SOME_UUID}/revoke-sessions`), 404, 'NOT_FOUND');
      const invalid = expectError(await act('post', `${USERS}/not-a-uuid/revoke-sessions`), 400, 'VALIDATION_FAILED');
      expect(invalid.fields).toEqual([{ field: 'id', messages: [expect.stringMatching(/uuid/i)] }]);
    });
  });

  describe('the audit list takes the new types', () => {
    it.each(['phone_unlocked', 'phone_blocked', 'phone_unblocked', 'user_sessions_revoked'])(
      'GET /admin/audit?type=%s',
      async (type) => {
        const res = ok(await adminGet(t, '/api/v1/admin/audit', { type }));
        const items = res.items as { type: string }[];
        expect(items.length).toBeGreaterThan(0);
        for (const item of items) expect(item.type).toBe(type);
      },
    );
  });

  describe('refusals', () => {
    const phone = '+77011234567';
    const phoneRoutes: [string, 'get' | 'post' | 'delete', (phone: string) => string][] = [
      ['GET :phone', 'get', (p) => `${PHONES}/${p}`],
      ['POST unlock', 'post', (p) => `${PHONES}/${p}/unlock`],
      ['POST block', 'post', (p) => `${PHONES}/${p}/block`],
      ['DELETE block', 'delete', (p) => `${PHONES}/${p}/block`],
    ];
    const routes: [string, 'get' | 'post' | 'delete', string][] = [
      ...phoneRoutes.map(([name, method, url]): [string, 'get' | 'post' | 'delete', string] => [
        name,
        method,
        url(encodeURIComponent(phone)),
      ]),
      ['POST revoke-sessions', 'post', `${USERS}/${SOME_UUID}/revoke-sessions`],
    ];
    const actions = routes.filter((route): route is [string, 'post' | 'delete', string] => route[1] !== 'get');

    it.each(routes)(
      '%s: 401 without the admin key or with a wrong one, and nothing happens',
      async (_, method, url) => {
        expectError(await t.http[method](url), 401, 'UNAUTHORIZED');
        expectError(await t.http[method](url).set('Authorization', 'Bearer not-the-key'), 401, 'UNAUTHORIZED');
        // The key is checked before the path and the body.
        const invalid = url.replace(encodeURIComponent(phone), 'not-a-phone').replace(SOME_UUID, 'not-a-uuid');
        expectError(await t.http[method](invalid), 401, 'UNAUTHORIZED');
        if (method !== 'get')
          expectError(await t.http[method](url).send({ note: 'x'.repeat(501) }), 401, 'UNAUTHORIZED');
        expect(await count('phone_blocks WHERE phone_number = $1', [phone])).toBe(0);
        expect(await count('audit_events WHERE phone_number = $1', [phone])).toBe(0);
      },
    );

    it.each(phoneRoutes)('%s: 400 INVALID_PHONE for a number that is not one', async (_, method, url) => {
      for (const bad of ['12', 'not-a-phone', '%2B1555', '%2B77011234567999']) {
        const res = method === 'get' ? await adminGet(t, url(bad)) : await act(method, url(bad));
        expectError(res, 400, 'INVALID_PHONE');
      }
    });

    it.each(actions)(
      '%s: 400 VALIDATION_FAILED for a bad note (501 characters, a NUL, a number) or another field',
      async (_, method, url) => {
        for (const body of [{ note: 'x'.repeat(501) }, { note: 'a\u0000b' }, { note: 42 }, { note: 'ok', extra: 1 }]) {
          const error = expectError(await act(method, url, body), 400, 'VALIDATION_FAILED');
          expect(error.fields).toEqual([{ field: 'extra' in body ? 'extra' : 'note', messages: expect.any(Array) }]);
        }
        expect(await count('phone_blocks WHERE phone_number = $1', [phone])).toBe(0);
        expect(await count('audit_events WHERE phone_number = $1', [phone])).toBe(0);
      },
    );

    it('a note of exactly 500 characters is taken', async () => {
      const target = nextPhone();
      ok(await act('post', path(target, '/block'), { note: 'x'.repeat(500) }));
      expect((await eventsOf(target, 'phone_blocked'))[0].details.note).toHaveLength(500);
    });
  });

  describe('migration PhoneBlocks', () => {
    const functions = ['sms_auth_reserve_send', 'sms_auth_verify_code'];
    const bodyOf = (definition: string) => /AS \$\$([\s\S]*)\$\$$/.exec(definition)![1];

    it('down() restores the functions of HotPathFunctions and drops phone_blocks; up() blocks again', async () => {
      const database = await createTestDatabase();
      const dataSource = await schemaDataSource(database.url).initialize();
      const runner = dataSource.createQueryRunner();
      const sources = async () =>
        Object.fromEntries(
          (await runner.query(`SELECT proname, prosrc FROM pg_proc WHERE proname = ANY($1)`, [functions])).map(
            (row: { proname: string; prosrc: string }) => [row.proname, row.prosrc],
          ),
        );
      const table = async () => (await runner.query(`SELECT to_regclass('phone_blocks') AS t`))[0].t;
      try {
        const migration = new PhoneBlocks1795310000000();
        for (const source of Object.values(await sources())) expect(source).toContain('phone_blocks');

        await migration.down(runner);
        expect(await sources()).toEqual(
          Object.fromEntries(functions.map((name) => [name, bodyOf(hotPathFunctionDefinition(name))])),
        );
        expect(await table()).toBeNull();

        await migration.up(runner);
        const restored = await sources();
        expect(Object.keys(restored).sort()).toEqual(functions);
        for (const source of Object.values(restored)) expect(source).toContain('phone_blocks');
        expect(await table()).toBe('phone_blocks');
      } finally {
        await runner.release();
        await dataSource.destroy();
        await database.drop();
      }
    });
  });
});
