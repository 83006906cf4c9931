import { ageCodes, verify, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { adminGet, allPages, duplicates, sendOk, VERIFICATIONS } from './admin-helpers';

const TEST_NUMBER = '+77000000001';
const TEST_CODE = '111111';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Item {
  id: string;
  phone_number: string;
  status: string;
  provider: string | null;
  sms_id: string | null;
  created_at: string;
  deliveries: { provider: string; message_id: string | null; status: string }[];
  [field: string]: unknown;
}

/** `+77011234567` → `8 701 123 45 67` (the KZ trunk-prefix form a person would type). */
function trunkFormat(e164: string): string {
  const national = e164.slice(2);
  return `8 ${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6, 8)} ${national.slice(8)}`;
}

describe('GET /admin/verifications', () => {
  let t: TestApp;

  /** Every code in the database, newest first by (created_at, id), with created_at to the microsecond. */
  async function codesNewestFirst(
    where = 'TRUE',
    params: unknown[] = [],
  ): Promise<{ id: string; created_us: string }[]> {
    const { rows } = await t.sql.query(
      `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_us
         FROM sms_verifications WHERE ${where} ORDER BY created_at DESC, id DESC`,
      params,
    );
    return rows;
  }

  /** Asserts (created_at, id) strictly decreases along the list, to the microsecond, independently of SQL's ORDER BY. */
  async function expectStrictlyNewestFirst(ids: string[]): Promise<void> {
    const { rows } = await t.sql.query(
      `SELECT id::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_us FROM sms_verifications WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const key = new Map<string, string>(rows.map((row) => [row.id, `${row.created_us}|${row.id}`]));
    for (let i = 1; i < ids.length; i++) {
      const [newer, older] = [key.get(ids[i - 1])!, key.get(ids[i])!];
      if (!(newer > older)) throw new Error(`not strictly newest first at position ${i}: ${newer} then ${older}`);
    }
  }

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMIN_API_KEY: 'admin-key-0123456789-abcdefghij',
        SMS_TEST_NUMBERS: `${TEST_NUMBER}:${TEST_CODE}`,
        OTP_TTL_SECONDS: '600',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('keyset pagination', () => {
    const created: string[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 25; i++) created.push((await sendOk(t, nextPhone())).verification_id);
      // Ties on created_at must be broken by id, across page boundaries too: eight codes share one instant,
      // and five more lie a microsecond apart within one millisecond (a JS Date could not tell them apart).
      await t.sql.query(
        `UPDATE sms_verifications SET created_at = date_trunc('second', now()) - interval '1 hour' WHERE id = ANY($1::uuid[])`,
        [created.slice(4, 12)],
      );
      await t.sql.query(
        `UPDATE sms_verifications v SET created_at = date_trunc('second', now()) - interval '2 hours' + make_interval(secs => n.i / 1000000.0)
           FROM unnest($1::uuid[]) WITH ORDINALITY AS n(id, i) WHERE v.id = n.id`,
        [created.slice(14, 19)],
      );
    });

    it('limit=7 over 25 codes: every code exactly once, newest first, the last page without a cursor', async () => {
      const pages = await allPages<Item>(t, VERIFICATIONS, { limit: 7 });
      expect(pages.map((page) => page.items.length)).toEqual([7, 7, 7, 4]);
      expect(pages.map((page) => typeof page.next_cursor)).toEqual(['string', 'string', 'string', 'object']);
      expect(pages.at(-1)!.next_cursor).toBeNull();
      const ids = pages.flatMap((page) => page.items.map((item) => item.id));
      expect(duplicates(ids)).toEqual([]);
      expect([...ids].sort()).toEqual([...created].sort());
      expect(ids).toEqual((await codesNewestFirst()).map((row) => row.id));
      await expectStrictlyNewestFirst(ids);
      // The visible created_at (milliseconds) never increases either.
      const times = pages.flatMap((page) => page.items.map((item) => item.created_at));
      expect(times).toEqual([...times].sort().reverse());
    });

    it('a limit that divides the total: the last full page has no cursor (no empty page after it)', async () => {
      const pages = await allPages<Item>(t, VERIFICATIONS, { limit: 5 });
      expect(pages.map((page) => page.items.length)).toEqual([5, 5, 5, 5, 5]);
      expect(pages.at(-1)!.next_cursor).toBeNull();
      const everything = await allPages<Item>(t, VERIFICATIONS, { limit: 25 });
      expect(everything).toHaveLength(1);
      expect(everything[0].next_cursor).toBeNull();
    });

    it('codes sent between page requests: every code that existed before the first page exactly once, nothing twice', async () => {
      const before = (await codesNewestFirst()).map((row) => row.id);
      const insertedMeanwhile: string[] = [];
      const pages = await allPages<Item>(t, VERIFICATIONS, { limit: 7 }, async () => {
        for (let i = 0; i < 3; i++) insertedMeanwhile.push((await sendOk(t, nextPhone())).verification_id);
      });
      expect(insertedMeanwhile.length).toBeGreaterThan(0);
      const ids = pages.flatMap((page) => page.items.map((item) => item.id));
      expect(duplicates(ids)).toEqual([]);
      for (const id of before) expect(ids.filter((seen) => seen === id)).toHaveLength(1);
      // Codes sent after the first page are newer than its cursor: a keyset walk toward older rows never meets them.
      expect(ids).toEqual(before);
      await expectStrictlyNewestFirst(ids);
      // And the next walk from the top sees them all.
      const again = (await allPages<Item>(t, VERIFICATIONS, { limit: 200 })).flatMap((page) =>
        page.items.map((item) => item.id),
      );
      expect(again).toEqual((await codesNewestFirst()).map((row) => row.id));
      for (const id of insertedMeanwhile) expect(again).toContain(id);
    });
  });

  describe('each item', () => {
    it('is the code as operators see it, with its delivery attempts (message_id = sms_id)', async () => {
      const phone = nextPhone();
      const ip = nextIp();
      const sent = await t.http
        .post('/api/v1/sms-auth/send-code')
        .set('X-Forwarded-For', ip)
        .set('User-Agent', 'AdminSpec/1.0 (e2e)')
        .send({ phone_number: phone, locale: 'kk' })
        .expect(200);
      expect((await verify(t, phone, wrongCode(sent.body.debug_code), nextIp())).status).toBe(400);
      const login = await verify(t, phone, sent.body.debug_code, nextIp()).then((res) => {
        expect(res.status).toBe(200);
        return res.body;
      });
      const res = await adminGet(t, VERIFICATIONS, { phone }).expect(200);
      expect(res.body.next_cursor).toBeNull();
      expect(res.body.items).toHaveLength(1);
      const [row] = (
        await t.sql.query(`SELECT created_at, expires_at, verified_at FROM sms_verifications WHERE id = $1`, [
          sent.body.verification_id,
        ])
      ).rows;
      const [delivery] = (
        await t.sql.query(`SELECT created_at, updated_at FROM sms_deliveries WHERE verification_id = $1`, [
          sent.body.verification_id,
        ])
      ).rows;
      expect(res.body.items[0]).toEqual({
        id: sent.body.verification_id,
        phone_number: phone,
        country: 'KZ',
        status: 'approved',
        attempts: 1,
        max_attempts: 5,
        locale: 'kk',
        provider: 'console',
        sms_id: sent.body.sms_id,
        delivery_status: 'delivered',
        is_test_number: false,
        ip,
        user_agent: 'AdminSpec/1.0 (e2e)',
        created_at: row.created_at.toISOString(),
        expires_at: row.expires_at.toISOString(),
        verified_at: row.verified_at.toISOString(),
        user_id: login.user.id,
        deliveries: [
          {
            attempt_number: 1,
            provider: 'console',
            channel: 'sms',
            // No vendor-stated cost and no SMS_PRICES in this file's app (test/channels prices them).
            cost: null,
            cost_currency: null,
            cost_source: null,
            message_id: sent.body.sms_id,
            status: 'delivered',
            provider_status: null,
            error_code: null,
            error_message: null,
            created_at: delivery.created_at.toISOString(),
            updated_at: delivery.updated_at.toISOString(),
          },
        ],
      });
      expect(sent.body.sms_id).toEqual(expect.any(String));
    });

    it('every item carries its deliveries: console codes one attempt with message_id = sms_id, test numbers none', async () => {
      await sendOk(t, TEST_NUMBER);
      const items = (await allPages<Item>(t, VERIFICATIONS, { limit: 200 })).flatMap((page) => page.items);
      const { rows } = await t.sql.query(
        `SELECT v.id, d.provider_message_id, d.status FROM sms_verifications v JOIN sms_deliveries d ON d.verification_id = v.id`,
      );
      const deliveryOf = new Map(rows.map((row) => [row.id, row]));
      for (const item of items) {
        expect(item.created_at).toMatch(ISO_MS);
        if (item.provider === 'test_number') {
          expect(item).toMatchObject({ phone_number: TEST_NUMBER, is_test_number: true, sms_id: null, deliveries: [] });
          continue;
        }
        expect(item.provider).toBe('console');
        expect(item.deliveries).toEqual([
          expect.objectContaining({
            attempt_number: 1,
            provider: 'console',
            message_id: item.sms_id,
            status: deliveryOf.get(item.id)!.status,
          }),
        ]);
        expect(item.sms_id).toBe(deliveryOf.get(item.id)!.provider_message_id);
        expect(item.sms_id).toMatch(/^console-/);
      }
      expect(items.filter((item) => item.provider === 'test_number')).toHaveLength(1);
    });

    it('never carries the code hash: no such field, and no code_hash of the database anywhere in the JSON', async () => {
      const { rows } = await t.sql.query(`SELECT code_hash FROM sms_verifications`);
      expect(rows.length).toBeGreaterThan(25);
      const res = await adminGet(t, VERIFICATIONS, { limit: 200 }).expect(200);
      expect(res.body.next_cursor).toBeNull();
      expect(res.body.items).toHaveLength(rows.length);
      const text = res.text;
      for (const { code_hash: hash } of rows) {
        expect(hash.trim()).toMatch(/^[0-9a-f]{64}$/);
        expect(text).not.toContain(hash.trim());
        expect(text.toLowerCase()).not.toContain(hash.trim().toLowerCase());
      }
      expect(text).not.toMatch(/code_?hash|codeHash/i);
      for (const item of res.body.items) {
        expect(Object.keys(item).sort()).toEqual(
          [
            'attempts',
            'country',
            'created_at',
            'deliveries',
            'delivery_status',
            'expires_at',
            'id',
            'ip',
            'is_test_number',
            'locale',
            'max_attempts',
            'phone_number',
            'provider',
            'sms_id',
            'status',
            'user_agent',
            'user_id',
            'verified_at',
          ].sort(),
        );
      }
    });
  });

  describe('filters', () => {
    it('phone: any accepted format is matched as E.164', async () => {
      const phone = nextPhone();
      const first = await sendOk(t, phone);
      await ageCodes(t, phone, '2 minutes');
      const second = await sendOk(t, phone, { resend: true });
      for (const format of [
        phone,
        trunkFormat(phone),
        `+7 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8, 10)}-${phone.slice(10)}`,
        phone.slice(1),
      ]) {
        const res = await adminGet(t, VERIFICATIONS, { phone: format }).expect(200);
        expect(res.body.items.map((item: Item) => [item.id, item.phone_number, item.status])).toEqual([
          [second.verification_id, phone, 'pending'],
          [first.verification_id, phone, 'canceled'],
        ]);
        expect(res.body.next_cursor).toBeNull();
      }
      const none = await adminGet(t, VERIFICATIONS, { phone: nextPhone() }).expect(200);
      expect(none.body).toEqual({ success: true, items: [], next_cursor: null });
    });

    it('status: approved vs pending vs canceled, each exactly the rows of that status, pageable', async () => {
      const approvedPhone = nextPhone();
      const sent = await sendOk(t, approvedPhone);
      expect((await verify(t, approvedPhone, sent.debug_code, nextIp())).status).toBe(200);
      for (const status of ['approved', 'pending', 'canceled']) {
        const expected = (await codesNewestFirst('status = $1', [status])).map((row) => row.id);
        expect(expected.length).toBeGreaterThan(0);
        const pages = await allPages<Item>(t, VERIFICATIONS, { status, limit: 3 });
        const items = pages.flatMap((page) => page.items);
        expect(items.map((item) => item.id)).toEqual(expected);
        expect(new Set(items.map((item) => item.status))).toEqual(new Set([status]));
      }
      const approved = (await adminGet(t, VERIFICATIONS, { status: 'approved', limit: 200 }).expect(200)).body.items;
      expect(approved.map((item: Item) => item.id)).toContain(sent.verification_id);
      const pending = (await adminGet(t, VERIFICATIONS, { status: 'pending', limit: 200 }).expect(200)).body.items;
      expect(pending.map((item: Item) => item.id)).not.toContain(sent.verification_id);
      const maxAttempts = await adminGet(t, VERIFICATIONS, { status: 'max_attempts_reached' }).expect(200);
      expect(maxAttempts.body).toEqual({ success: true, items: [], next_cursor: null });
    });

    it('status=expired includes a pending code past its expiry (shown as expired); status=pending excludes it', async () => {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      await t.sql.query(`UPDATE sms_verifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        sent.verification_id,
      ]);
      const expired = (await adminGet(t, VERIFICATIONS, { status: 'expired', phone, limit: 200 }).expect(200)).body
        .items;
      expect(expired.map((item: Item) => [item.id, item.status])).toEqual([[sent.verification_id, 'expired']]);
      const pending = (await adminGet(t, VERIFICATIONS, { status: 'pending', phone }).expect(200)).body.items;
      expect(pending).toEqual([]);
    });

    it('provider: console vs test_number', async () => {
      const testNumber = await adminGet(t, VERIFICATIONS, { provider: 'test_number' }).expect(200);
      expect(
        testNumber.body.items.map((item: Item) => [
          item.phone_number,
          item.provider,
          item.is_test_number,
          item.deliveries,
        ]),
      ).toEqual([[TEST_NUMBER, 'test_number', true, []]]);
      const expectedConsole = (await codesNewestFirst(`provider = 'console'`)).map((row) => row.id);
      const consolePages = await allPages<Item>(t, VERIFICATIONS, { provider: 'console', limit: 50 });
      const consoleItems = consolePages.flatMap((page) => page.items);
      expect(consoleItems.map((item) => item.id)).toEqual(expectedConsole);
      expect(new Set(consoleItems.map((item) => item.provider))).toEqual(new Set(['console']));
      const none = await adminGet(t, VERIFICATIONS, { provider: 'mobizon' }).expect(200);
      expect(none.body.items).toEqual([]);
    });

    it('from (inclusive) and to (exclusive)', async () => {
      const ids: string[] = [];
      for (const day of ['2020-01-01', '2020-01-02', '2020-01-03']) {
        const sent = await sendOk(t, nextPhone());
        await t.sql.query(
          `UPDATE sms_verifications SET created_at = $2, expires_at = $2::timestamptz + interval '600 seconds' WHERE id = $1`,
          [sent.verification_id, `${day}T00:00:00Z`],
        );
        ids.push(sent.verification_id);
      }
      const list = async (query: Record<string, string>) =>
        (await adminGet(t, VERIFICATIONS, { ...query, limit: 200 }).expect(200)).body.items.map(
          (item: Item) => item.id,
        );

      expect(await list({ from: '2020-01-01T00:00:00Z', to: '2020-01-03T00:00:00Z' })).toEqual([ids[1], ids[0]]);
      expect(await list({ from: '2020-01-01T00:00:00.001Z', to: '2020-01-03T00:00:00.001Z' })).toEqual([
        ids[2],
        ids[1],
      ]);
      expect(await list({ to: '2020-01-02T00:00:00Z' })).toEqual([ids[0]]);
      expect(await list({ from: '2019-12-31T00:00:00Z', to: '2020-01-01T00:00:00Z' })).toEqual([]);
      const fromJan3 = await list({ from: '2020-01-03T00:00:00Z' });
      expect(fromJan3).toEqual((await codesNewestFirst(`created_at >= '2020-01-03T00:00:00Z'`)).map((row) => row.id));
      expect(fromJan3).toContain(ids[2]);
      expect(fromJan3).not.toContain(ids[1]);
      // A range together with a cursor.
      const pages = await allPages<Item>(t, VERIFICATIONS, {
        from: '2020-01-01T00:00:00Z',
        to: '2020-01-04T00:00:00Z',
        limit: 1,
      });
      expect(pages.map((page) => page.items.map((item) => item.id))).toEqual([[ids[2]], [ids[1]], [ids[0]]]);
    });

    it('filters combine (phone + status + provider)', async () => {
      const phone = nextPhone();
      const first = await sendOk(t, phone);
      await ageCodes(t, phone, '2 minutes');
      const second = await sendOk(t, phone, { resend: true });
      expect((await verify(t, phone, second.debug_code, nextIp())).status).toBe(200);
      const approved = await adminGet(t, VERIFICATIONS, {
        phone: trunkFormat(phone),
        status: 'approved',
        provider: 'console',
      }).expect(200);
      expect(approved.body.items.map((item: Item) => item.id)).toEqual([second.verification_id]);
      const canceled = await adminGet(t, VERIFICATIONS, { phone, status: 'canceled' }).expect(200);
      expect(canceled.body.items.map((item: Item) => item.id)).toEqual([first.verification_id]);
      const viaTestNumbers = await adminGet(t, VERIFICATIONS, { phone, provider: 'test_number' }).expect(200);
      expect(viaTestNumbers.body.items).toEqual([]);
    });
  });
});
