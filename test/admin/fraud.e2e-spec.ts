import { createTestApp, numberInRange, type TestApp } from '../support/test-app';
import { expectError, sendCode, verify } from '../support/http-helpers';
import { ADMIN_API_KEY, adminGet, allPages } from './admin-helpers';

const FRAUD = '/api/v1/admin/fraud';
const ip = (n: number): string => `198.51.100.${1 + n}`;

function lift(t: TestApp, prefix: string, body?: object, key = ADMIN_API_KEY) {
  const req = t.http.delete(`${FRAUD}/blocks/${encodeURIComponent(prefix)}`).set('Authorization', `Bearer ${key}`);
  return body ? req.send(body) : req;
}

describe('admin: the fraud guard (SPEC §10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMIN_API_KEY,
        FRAUD_GUARD: 'enforce',
        RESEND_COOLDOWN_SECONDS: '0',
        // A small breaker, so that five unverified sends trip it; rule 4 at 3 an hour.
        FRAUD_BREAKER_WINDOW: '5',
        FRAUD_BREAKER_MIN_CONVERSION: '0.5',
        FRAUD_PREFIX_LIMIT_HOUR: '3',
        FRAUD_COUNTRY_MIN_DAY: '100000',
        FRAUD_COUNTRY_MIN_HOUR: '100000',
        SMS_PRICES: 'console=0.25',
      },
    });
    // Prefix A: 3 sends, then rule 4 blocks two (KZ). Prefix B: 5 unverified sends trip the breaker over hours.
    for (let n = 0; n < 5; n++) await sendCode(t, numberInRange('+7701300', n), { ip: ip(n) });
    await t.sql.query(`UPDATE fraud_subjects SET recent = '{}' WHERE scope = 'prefix'`);
    for (let n = 0; n < 5; n++) {
      expect((await sendCode(t, numberInRange('+7701301', n), { ip: ip(10 + n) })).status).toBe(200);
      // Each an hour apart, as far as rule 4 knows.
      await t.sql.query(`UPDATE fraud_subjects SET recent = '{}' WHERE scope = 'prefix'`);
    }
    expectError(await sendCode(t, numberInRange('+7701301', 5), { ip: ip(20) }), 429, 'SEND_BLOCKED');
    // A verified Uzbek login, allowed.
    const uz = await sendCode(t, '+998901234567', { ip: ip(30) });
    expect((await verify(t, '+998901234567', uz.body.debug_code, ip(30))).status).toBe(200);
  });
  afterAll(() => t.close());

  it('lists decisions newest first with their figures, each filter narrowing them, every page once', async () => {
    const all = await adminGet(t, `${FRAUD}/decisions`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(12);
    expect(all.body.items[0]).toMatchObject({ phone_number: '+998901234567', country: 'UZ', action: 'allowed' });
    const times = all.body.items.map((row: { created_at: string }) => row.created_at);
    expect([...times].sort().reverse()).toEqual(times);

    const blocked = await adminGet(t, `${FRAUD}/decisions`, { action: 'blocked' });
    expect(blocked.body.items.map((row: { rule: string }) => row.rule)).toEqual([
      'prefix_breaker',
      'prefix_velocity',
      'prefix_velocity',
    ]);
    const breaker = blocked.body.items[0];
    expect(breaker).toMatchObject({
      prefix: '+7701301',
      mode: 'enforce',
      verification_id: null,
      estimated_cost: '0.250000',
      ip: ip(20),
    });
    expect(breaker.rules).toContainEqual({
      rule: 'prefix_breaker',
      window: 'sends',
      count: 0,
      threshold: 0.5,
      fired: true,
    });

    const count = async (query: Record<string, string>) =>
      (await adminGet(t, `${FRAUD}/decisions`, query)).body.items.length;
    expect(await count({ rule: 'prefix_velocity' })).toBe(2);
    expect(await count({ country: 'UZ' })).toBe(1);
    expect(await count({ prefix: '+7701300' })).toBe(5);
    expect(await count({ ip: ip(20) })).toBe(1);
    expect(
      await count({
        from: new Date(Date.now() + 60_000).toISOString(),
        to: new Date(Date.now() + 120_000).toISOString(),
      }),
    ).toBe(0);

    const pages = await allPages<{ id: string }>(t, `${FRAUD}/decisions`, { limit: 4 });
    expect(pages.map((page) => page.items.length)).toEqual([4, 4, 4]);
    expect(pages.flatMap((page) => page.items.map((row) => row.id))).toEqual(
      all.body.items.map((row: { id: string }) => row.id),
    );
  });

  it('refuses bad filters with VALIDATION_FAILED, and every request without the key', async () => {
    const bad: Record<string, string>[] = [
      { action: 'maybe' },
      { rule: 'x' },
      { country: 'ZZZ' },
      { prefix: '7701' },
      { ip: '1.2.3' },
    ];
    for (const query of bad) expectError(await adminGet(t, `${FRAUD}/decisions`, query), 400, 'VALIDATION_FAILED');
    expectError(await adminGet(t, `${FRAUD}/decisions`, { cursor: 'bm9wZQ' }), 400, 'VALIDATION_FAILED');
    expectError(await adminGet(t, `${FRAUD}/decisions`, {}, 'wrong-key-0123456789-abcdefghij'), 401, 'UNAUTHORIZED');
    expectError(await lift(t, '+7701301', undefined, 'wrong-key-0123456789-abcdefghij'), 401, 'UNAUTHORIZED');
    expectError(await lift(t, 'abc'), 400, 'VALIDATION_FAILED');
  });

  it('summarises blocked sends per rule and country, the active blocks and the money not spent', async () => {
    const res = await adminGet(t, `${FRAUD}/summary`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      allowed: 9,
      by_rule: [
        { key: 'prefix_velocity', blocked: 2, flagged: 0 },
        { key: 'prefix_breaker', blocked: 1, flagged: 0 },
      ],
      by_country: [{ key: 'KZ', blocked: 3, flagged: 0 }],
      active_blocks: 1,
      money_not_spent: '0.750000',
      currency: 'USD',
    });
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/^fraud_prefix_blocks_active 1$/m);
    expect(metrics.text).toMatch(
      /^fraud_decisions_total\{rule="prefix_velocity",action="blocked",mode="enforce"\} 2$/m,
    );
  });

  it('lifts a block with an audited note; the prefix sends again and its window starts afresh', async () => {
    const blocks = await adminGet(t, `${FRAUD}/blocks`);
    expect(blocks.body.items).toEqual([
      { prefix: '+7701301', blocked_at: expect.any(String), blocked_until: expect.any(String) },
    ]);
    const lifted = await lift(t, '7701301', { note: 'Ticket #7: a real campaign' });
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({
      success: true,
      prefix: '+7701301',
      blocked_until: blocks.body.items[0].blocked_until,
    });
    const { rows } = await t.sql.query(`SELECT details FROM audit_events WHERE type = 'fraud_prefix_unblocked'`);
    expect(rows).toEqual([
      {
        details: {
          prefix: '+7701301',
          blocked_until: blocks.body.items[0].blocked_until,
          note: 'Ticket #7: a real campaign',
        },
      },
    ]);
    expect((await sendCode(t, numberInRange('+7701301', 6), { ip: ip(40) })).status).toBe(200);
    expectError(await lift(t, '+7701301'), 404, 'NOT_FOUND');
    expect((await adminGet(t, `${FRAUD}/blocks`)).body.items).toEqual([]);
    expect((await t.http.get('/metrics')).text).toMatch(/^fraud_prefix_blocks_active 0$/m);
  });
});
