import { LOGOUT, REFRESH, verify, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { ADMIN_API_KEY, adminGet, allPages, AUDIT, duplicates, sendOk, sleep } from './admin-helpers';

interface Event {
  id: string;
  occurred_at: string;
  type: string;
  outcome: string;
  phone_number: string | null;
  user_id: string | null;
  verification_id: string | null;
  session_id: string | null;
  provider: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

interface Login {
  phone: string;
  code: string;
  verificationId: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

/** `+77011234567` → `8 (701) 123-45-67`. */
function trunkFormat(e164: string): string {
  const national = e164.slice(2);
  return `8 (${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6, 8)}-${national.slice(8)}`;
}

describe('GET /admin/audit', () => {
  let t: TestApp;

  async function idsNewestFirst(where = 'TRUE', params: unknown[] = []): Promise<string[]> {
    const { rows } = await t.sql.query(
      `SELECT id::text AS id FROM audit_events WHERE ${where} ORDER BY audit_events.id DESC`,
      params,
    );
    return rows.map((row) => row.id);
  }

  function expectStrictlyDecreasing(ids: string[]): void {
    for (let i = 1; i < ids.length; i++) {
      if (!(BigInt(ids[i - 1]) > BigInt(ids[i])))
        throw new Error(`ids not strictly decreasing at ${i}: ${ids[i - 1]} then ${ids[i]}`);
    }
  }

  /** Send, one wrong code, the right one: code_requested, code_sent, code_verify_failed, token_issued, code_verified. */
  async function login(phone = nextPhone()): Promise<Login> {
    const sent = await sendOk(t, phone);
    expect((await verify(t, phone, wrongCode(sent.debug_code), nextIp())).status).toBe(400);
    const res = await verify(t, phone, sent.debug_code, nextIp());
    expect(res.status).toBe(200);
    return {
      phone,
      code: sent.debug_code,
      verificationId: sent.verification_id,
      userId: res.body.user.id,
      accessToken: res.body.access_token,
      refreshToken: res.body.refresh_token,
    };
  }

  const logins: Login[] = [];

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_API_KEY } });
    for (let i = 0; i < 6; i++) logins.push(await login());
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('keyset pagination', () => {
    it('small pages over every event: each exactly once, id descending, the last page without a cursor', async () => {
      const expected = await idsNewestFirst();
      expect(expected.length).toBeGreaterThanOrEqual(30);
      const pages = await allPages<Event>(t, AUDIT, { limit: 4 });
      expect(pages.map((page) => page.items.length)).toEqual(
        Array.from({ length: Math.ceil(expected.length / 4) }, (_, i) => Math.min(4, expected.length - i * 4)),
      );
      expect(pages.slice(0, -1).every((page) => typeof page.next_cursor === 'string')).toBe(true);
      expect(pages.at(-1)!.next_cursor).toBeNull();
      const ids = pages.flatMap((page) => page.items.map((item) => item.id));
      expect(duplicates(ids)).toEqual([]);
      expect(ids).toEqual(expected);
      expectStrictlyDecreasing(ids);
    });

    it('events written between page requests: every earlier event exactly once, nothing twice', async () => {
      const before = await idsNewestFirst();
      let sends = 0;
      const pages = await allPages<Event>(t, AUDIT, { limit: 5 }, async () => {
        await sendOk(t, nextPhone());
        sends += 1;
      });
      expect(sends).toBeGreaterThan(3);
      const ids = pages.flatMap((page) => page.items.map((item) => item.id));
      expect(duplicates(ids)).toEqual([]);
      for (const id of before) expect(ids.filter((seen) => seen === id)).toHaveLength(1);
      // Events appended after the first page have larger ids than its cursor: the walk toward smaller ids never meets them.
      expect(ids).toEqual(before);
      expectStrictlyDecreasing(ids);
      expect((await idsNewestFirst()).length).toBeGreaterThan(before.length);
    });
  });

  describe('filters', () => {
    it('type: exactly the events of that type', async () => {
      for (const type of ['code_verified', 'code_verify_failed', 'code_requested', 'token_issued']) {
        const expected = await idsNewestFirst('type = $1', [type]);
        expect(expected.length).toBeGreaterThanOrEqual(logins.length);
        const items = (await allPages<Event>(t, AUDIT, { type, limit: 4 })).flatMap((page) => page.items);
        expect(items.map((item) => item.id)).toEqual(expected);
        expect(new Set(items.map((item) => item.type))).toEqual(new Set([type]));
      }
      const failures = (await adminGet(t, AUDIT, { type: 'code_verify_failed', limit: 200 }).expect(200)).body
        .items as Event[];
      for (const item of failures)
        expect(item).toMatchObject({
          outcome: 'failure',
          details: expect.objectContaining({ reason: 'code_invalid' }),
        });
      const none = await adminGet(t, AUDIT, { type: 'refresh_reuse_detected' }).expect(200);
      expect(none.body).toEqual({ success: true, items: [], next_cursor: null });
    });

    it('phone: any accepted format is matched as E.164; exactly that phone’s events', async () => {
      const { phone, verificationId } = logins[2];
      const expected = await idsNewestFirst('phone_number = $1', [phone]);
      for (const format of [phone, trunkFormat(phone), phone.slice(1)]) {
        const res = await adminGet(t, AUDIT, { phone: format }).expect(200);
        expect(res.body.next_cursor).toBeNull();
        const items = res.body.items as Event[];
        expect(items.map((item) => item.id)).toEqual(expected);
        expect(items.map((item) => item.type)).toEqual([
          'code_verified',
          'token_issued',
          'code_verify_failed',
          'code_sent',
          'code_requested',
        ]);
        for (const item of items) expect(item).toMatchObject({ phone_number: phone, verification_id: verificationId });
      }
      const unknown = await adminGet(t, AUDIT, { phone: nextPhone() }).expect(200);
      expect(unknown.body).toEqual({ success: true, items: [], next_cursor: null });
    });

    it('user_id: the events of the user a login created, refreshed and logged out', async () => {
      const user = logins[3];
      const refreshed = await t.http.post(REFRESH).send({ refresh_token: user.refreshToken }).expect(200);
      await t.http.post(LOGOUT).send({ refresh_token: refreshed.body.refresh_token }).expect(200);
      const expected = await idsNewestFirst('user_id = $1', [user.userId]);
      const items = (await allPages<Event>(t, AUDIT, { user_id: user.userId, limit: 2 })).flatMap((page) => page.items);
      expect(items.map((item) => item.id)).toEqual(expected);
      expect(items.map((item) => item.type)).toEqual([
        'session_revoked',
        'token_refreshed',
        'code_verified',
        'token_issued',
      ]);
      for (const item of items) expect(item.user_id).toBe(user.userId);
      const stranger = await adminGet(t, AUDIT, { user_id: '00000000-0000-4000-8000-000000000000' }).expect(200);
      expect(stranger.body).toEqual({ success: true, items: [], next_cursor: null });
      // Combined with type.
      const verified = await adminGet(t, AUDIT, { user_id: user.userId, type: 'code_verified' }).expect(200);
      expect(verified.body.items.map((item: Event) => [item.type, item.verification_id])).toEqual([
        ['code_verified', user.verificationId],
      ]);
    });

    it('from (inclusive) and to (exclusive) select the events of a time window', async () => {
      // Three phases a few milliseconds apart (audit_events is append-only: its times cannot be moved).
      const phases: string[][] = [];
      for (let phase = 0; phase < 3; phase++) {
        await sleep(20);
        const phones = [nextPhone(), nextPhone()];
        for (const phone of phones) await sendOk(t, phone);
        phases.push(phones);
        await sleep(20);
      }
      const window = async (phones: string[]) => {
        // Millisecond bounds computed by Postgres: the first event rounded down, the last rounded down plus 1 ms.
        const { rows } = await t.sql.query(
          `SELECT date_trunc('milliseconds', min(occurred_at)) AS first, date_trunc('milliseconds', max(occurred_at)) + interval '1 millisecond' AS past_last
             FROM audit_events WHERE phone_number = ANY($1)`,
          [phones],
        );
        return rows[0] as { first: Date; past_last: Date };
      };
      const [before, middle, after] = [await window(phases[0]), await window(phases[1]), await window(phases[2])];
      const from = middle.first.toISOString();
      const to = middle.past_last.toISOString();
      expect(before.past_last.getTime()).toBeLessThanOrEqual(middle.first.getTime());
      expect(after.first.getTime()).toBeGreaterThanOrEqual(middle.past_last.getTime());

      const expected = await idsNewestFirst('phone_number = ANY($1)', [phases[1]]);
      expect(expected).toHaveLength(4);
      const items = (await allPages<Event>(t, AUDIT, { from, to, limit: 3 })).flatMap((page) => page.items);
      expect(items.map((item) => item.id)).toEqual(expected);
      for (const item of items) {
        expect(new Date(item.occurred_at).getTime()).toBeGreaterThanOrEqual(new Date(from).getTime());
        expect(new Date(item.occurred_at).getTime()).toBeLessThan(new Date(to).getTime());
      }

      // Only `from`: the middle and later phases; only `to`: everything up to the middle phase.
      const since = (await adminGet(t, AUDIT, { from, limit: 200 }).expect(200)).body.items as Event[];
      expect(since.map((item) => item.id)).toEqual(
        await idsNewestFirst('phone_number = ANY($1)', [[...phases[1], ...phases[2]]]),
      );
      const until = (await adminGet(t, AUDIT, { to, limit: 200 }).expect(200)).body.items as Event[];
      expect(until.map((item) => item.id)).toEqual(await idsNewestFirst('occurred_at < $1', [to]));
      expect(until.map((item) => item.id)).toEqual(expect.arrayContaining(expected));
      expect(until.some((item) => phases[2].includes(item.phone_number!))).toBe(false);

      // A window before anything happened.
      const empty = await adminGet(t, AUDIT, { from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' }).expect(200);
      expect(empty.body).toEqual({ success: true, items: [], next_cursor: null });
    });
  });

  describe('each event', () => {
    it('has every field, and never a code or a token', async () => {
      const user = logins[4];
      const res = await adminGet(t, AUDIT, { phone: user.phone, type: 'code_verified' }).expect(200);
      const [row] = (
        await t.sql.query(
          `SELECT id::text, occurred_at, session_id, ip, user_agent FROM audit_events WHERE phone_number = $1 AND type = 'code_verified'`,
          [user.phone],
        )
      ).rows;
      expect(res.body.items).toEqual([
        {
          id: row.id,
          occurred_at: row.occurred_at.toISOString(),
          type: 'code_verified',
          outcome: 'success',
          phone_number: user.phone,
          user_id: user.userId,
          verification_id: user.verificationId,
          session_id: row.session_id,
          provider: 'console',
          ip: row.ip,
          user_agent: row.user_agent,
          details: {},
        },
      ]);
      expect(row.session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.ip).toMatch(/^10\./);

      const everything = await adminGet(t, AUDIT, { limit: 200 }).expect(200);
      for (const login of logins) {
        expect(everything.text).not.toContain(`"${login.code}"`);
        expect(everything.text).not.toContain(login.accessToken);
        expect(everything.text).not.toContain(login.refreshToken);
      }
    });
  });
});
