import type { Response } from 'supertest';
import { createTestApp, numberInRange, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { expectError, sendCode, verify } from '../support/http-helpers';

const ip = (n: number): string => `198.51.${100 + Math.floor(n / 250)}.${1 + (n % 250)}`;

/** Every phone check out of the way: the guard alone decides. */
const NO_PHONE_LIMITS = { RESEND_COOLDOWN_SECONDS: '0', PHONE_SEND_LIMIT_HOUR: '50', PHONE_SEND_LIMIT_DAY: '50' };
/** Only the rule a test is about: the others' thresholds far away. */
const QUIET_RULES = {
  FRAUD_COUNTRY_MIN_DAY: '100000',
  FRAUD_COUNTRY_MIN_HOUR: '100000',
  FRAUD_IP_MIN_DAY: '100000',
  FRAUD_IP_MIN_HOUR: '100000',
  FRAUD_PREFIX_LIMIT_HOUR: '10000',
  FRAUD_IP_COUNTRY_LIMIT: '1000',
};

function enforcing(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { FRAUD_GUARD: 'enforce', ...NO_PHONE_LIMITS, ...env } });
}

function expectBlocked(res: Response, rule: string): void {
  const error = expectError(res, 429, 'SEND_BLOCKED');
  expect(error.reason).toBe(rule);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  // The rule's name and the wait, never its figures.
  expect(Object.keys(error).sort()).toEqual(['code', 'message', 'reason', 'retry_after']);
}

async function decisions(t: TestApp, where = 'true', params: unknown[] = []) {
  const { rows } = await t.sql.query(
    `SELECT phone_number, ip, country, prefix, mode, action, rule, bypass, rules, verification_id
       FROM fraud_decisions WHERE ${where} ORDER BY id`,
    params,
  );
  return rows;
}

async function loginAs(t: TestApp, phone: string, from: string): Promise<void> {
  const sent = await sendCode(t, phone, { ip: from });
  expect(sent.status).toBe(200);
  expect((await verify(t, phone, sent.body.debug_code, from)).status).toBe(200);
}

describe('fraud guard (SPEC §10)', () => {
  describe('a pumping attack: 300 sends from 30 IPs to 150 numbers of two prefixes, no verifies', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await enforcing({ FRAUD_COUNTRY_MIN_DAY: '90', FRAUD_COUNTRY_MIN_HOUR: '15' });
    });
    afterAll(() => t.close());

    it('is stopped by the prefix and country rules at their thresholds; a returning user keeps getting codes', async () => {
      const returning = numberInRange('+7701555', 9999);
      await loginAs(t, returning, '203.0.113.10');

      const answers: { phone: string; res: Response }[] = [];
      let sent = 0;
      for (const prefix of ['+7701555', '+7701556'])
        for (let round = 0; round < 2; round++)
          for (let n = 0; n < 75; n++) {
            const phone = numberInRange(prefix, n);
            answers.push({ phone, res: await sendCode(t, phone, { ip: ip(sent++ % 30) }) });
          }
      expect(answers).toHaveLength(300);

      const allowed = answers.filter(({ res }) => res.status === 200);
      const blocked = answers.filter(({ res }) => res.status !== 200);
      // Rule 4 lets 10 sends an hour into the first prefix (the returning user's login was one of them); rule 2
      // (15 unverified codes an hour) then lets 6 into the second.
      expect(allowed.filter(({ phone }) => phone.startsWith('+7701555'))).toHaveLength(9);
      expect(allowed.filter(({ phone }) => phone.startsWith('+7701556'))).toHaveLength(6);
      for (const { phone, res } of blocked)
        expectBlocked(res, phone.startsWith('+7701555') ? 'prefix_velocity' : 'country_unverified');

      // The returning user, in the attacked prefix and country, passes the country and prefix rules.
      const again = await sendCode(t, returning, { ip: '203.0.113.10' });
      expect(again.status).toBe(200);
      // A new number there does not.
      expectBlocked(await sendCode(t, numberInRange('+7701557', 1), { ip: '203.0.113.11' }), 'country_unverified');

      // Nothing was issued or sent for a blocked send; each is an audit event and a decision row.
      const { rows: codes } = await t.sql.query(
        `SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number LIKE '+770155_%' AND phone_number <> $1`,
        [returning],
      );
      expect(codes[0].n).toBe(15);
      const { rows: events } = await t.sql.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE type = 'send_blocked'`,
      );
      expect(events[0].n).toBe(286);
      const attack = await decisions(t, `prefix IN ('+7701555', '+7701556') AND phone_number <> $1`, [returning]);
      expect(attack.filter((row) => row.action === 'blocked')).toHaveLength(285);
      expect(attack.every((row) => row.mode === 'enforce' && row.country === 'KZ')).toBe(true);
      const returningDecisions = await decisions(t, 'phone_number = $1', [returning]);
      expect(returningDecisions.at(-1)).toMatchObject({ action: 'allowed', bypass: 'known_phone' });
      // The figures are in the decision: the rule that fired, its count and threshold.
      const firstPrefixBlock = attack.find((row) => row.rule === 'prefix_velocity')!;
      expect(firstPrefixBlock.rules).toContainEqual({
        rule: 'prefix_velocity',
        window: 'hour',
        count: 11,
        threshold: 10,
        fired: true,
      });
    });
  });

  it('one IP cycling through 5 countries is blocked at the 4th', async () => {
    const t = await enforcing();
    try {
      const phones = ['+77011234567', '+998901234567', '+79161234567', '+4915123456789', '+447911123456'];
      const answers = [];
      for (const phone of phones) answers.push(await sendCode(t, phone, { ip: '203.0.113.20' }));
      expect(answers.slice(0, 3).map((res) => res.status)).toEqual([200, 200, 200]);
      expectBlocked(answers[3], 'ip_countries');
      expectBlocked(answers[4], 'ip_countries');
      // Another IP is not concerned.
      expect((await sendCode(t, '+4915123456780', { ip: '203.0.113.21' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  describe('the prefix breaker (rule 5)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await enforcing(QUIET_RULES);
    });
    afterAll(() => t.close());

    /** 50 sends to new numbers of `prefix`, `verified` of them verified. */
    async function sendFifty(prefix: string, verified: number): Promise<void> {
      for (let n = 0; n < 50; n++) {
        const phone = numberInRange(prefix, n);
        const res = await sendCode(t, phone, { ip: ip(n) });
        expect(res.status).toBe(200);
        if (n < verified) expect((await verify(t, phone, res.body.debug_code, ip(n))).status).toBe(200);
      }
    }

    it('trips below 5 % conversion over 50 sends, not at 6 %, and lifts after 12 h', async () => {
      await sendFifty('+7701600', 2);
      await sendFifty('+7701601', 3);
      expectBlocked(await sendCode(t, numberInRange('+7701600', 50), { ip: ip(60) }), 'prefix_breaker');
      expect((await sendCode(t, numberInRange('+7701601', 50), { ip: ip(61) })).status).toBe(200);

      const { rows: trips } = await t.sql.query(
        `SELECT details FROM audit_events WHERE type = 'fraud_prefix_blocked' ORDER BY id`,
      );
      expect(trips).toHaveLength(1);
      expect(trips[0].details).toMatchObject({ prefix: '+7701600', sends: 50, verified: 2, mode: 'enforce' });
      const { rows: state } = await t.sql.query(
        `SELECT extract(epoch FROM blocked_until - blocked_at)::int AS seconds FROM fraud_subjects
          WHERE scope = 'prefix' AND key = '+7701600'`,
      );
      expect(state[0].seconds).toBe(12 * 3600);
      // Still blocked later on, for returning users only: a known number of the prefix passes.
      expectBlocked(await sendCode(t, numberInRange('+7701600', 51), { ip: ip(62) }), 'prefix_breaker');
      expect((await sendCode(t, numberInRange('+7701600', 0), { ip: ip(0) })).status).toBe(200);

      // 12 hours later (the block moved back by 12 h): new numbers pass, and the window starts afresh.
      await t.sql.query(
        `UPDATE fraud_subjects SET blocked_until = blocked_until - interval '12 hours',
                blocked_at = blocked_at - interval '12 hours' WHERE scope = 'prefix' AND key = '+7701600'`,
      );
      expect((await sendCode(t, numberInRange('+7701600', 52), { ip: ip(63) })).status).toBe(200);
      expect((await sendCode(t, numberInRange('+7701600', 53), { ip: ip(64) })).status).toBe(200);
    });
  });

  it('the spend cap stops a country at its limit and resets at the UTC day', async () => {
    const t = await enforcing({ ...QUIET_RULES, SMS_PRICES: 'console=0.5', FRAUD_DAILY_SPEND_LIMIT: 'KZ=2' });
    try {
      for (let n = 0; n < 4; n++)
        expect((await sendCode(t, numberInRange('+7701700', n), { ip: ip(n) })).status).toBe(200);
      const capped = await sendCode(t, numberInRange('+7701700', 4), { ip: ip(4) });
      expectBlocked(capped, 'country_spend');
      const untilMidnight = Math.ceil((new Date().setUTCHours(24, 0, 0, 0) - Date.now()) / 1000);
      expect(Math.abs(Number(capped.headers['retry-after']) - untilMidnight)).toBeLessThanOrEqual(5);
      // Another country has no cap.
      expect((await sendCode(t, '+998901112233', { ip: ip(5) })).status).toBe(200);
      const [decision] = await decisions(t, `rule = 'country_spend'`);
      expect(decision.rules).toContainEqual({
        rule: 'country_spend',
        window: 'day',
        count: 2.5,
        threshold: 2,
        fired: true,
      });

      // The next UTC day: the day's spend is in yesterday's buckets.
      await t.sql.query(`UPDATE fraud_sent_counts SET bucket = bucket - interval '1 day'`);
      expect((await sendCode(t, numberInRange('+7701700', 5), { ip: ip(6) })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('record mode sends everything and stores the decisions enforce takes', async () => {
    const env = { ...QUIET_RULES, FRAUD_PREFIX_LIMIT_HOUR: '3' };
    const recording = await createTestApp({ env: { ...NO_PHONE_LIMITS, ...env, FRAUD_GUARD: 'record' } });
    const enforcingApp = await enforcing(env);
    try {
      const outcomes: Record<string, number[]> = { record: [], enforce: [] };
      for (const [mode, t] of [
        ['record', recording],
        ['enforce', enforcingApp],
      ] as const) {
        for (let n = 0; n < 6; n++)
          outcomes[mode].push((await sendCode(t, numberInRange('+7701800', n), { ip: ip(n) })).status);
      }
      expect(outcomes.record).toEqual([200, 200, 200, 200, 200, 200]);
      expect(outcomes.enforce).toEqual([200, 200, 200, 429, 429, 429]);
      const strip = (rows: Record<string, unknown>[]) =>
        rows.map(({ action, rule, rules }) => ({ action, rule, rules }));
      const recorded = await decisions(recording);
      expect(strip(recorded)).toEqual(strip(await decisions(enforcingApp)));
      expect(recorded.every((row) => row.mode === 'record' && row.verification_id)).toBe(true);
      // Record mode blocks nothing, so it writes no send_blocked event.
      const { rows } = await recording.sql.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE type = 'send_blocked'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await recording.close();
      await enforcingApp.close();
    }
  });

  it('allow-listed IPs and phones, and test numbers, pass', async () => {
    const t = await enforcing({
      ...QUIET_RULES,
      FRAUD_PREFIX_LIMIT_HOUR: '1',
      FRAUD_ALLOW_IPS: '203.0.113.0/28, 2001:db8::/32',
      FRAUD_ALLOW_PHONES: '^\\+7701900',
      SMS_TEST_NUMBERS: '+77019109999:123456',
    });
    try {
      expect((await sendCode(t, numberInRange('+7701910', 1), { ip: ip(1) })).status).toBe(200);
      expectBlocked(await sendCode(t, numberInRange('+7701910', 2), { ip: ip(2) }), 'prefix_velocity');
      expect((await sendCode(t, numberInRange('+7701910', 3), { ip: '203.0.113.5' })).status).toBe(200);
      expect((await sendCode(t, numberInRange('+7701910', 4), { ip: '2001:db8::7' })).status).toBe(200);
      expectBlocked(await sendCode(t, numberInRange('+7701910', 5), { ip: '203.0.113.16' }), 'prefix_velocity');
      for (let n = 0; n < 3; n++)
        expect((await sendCode(t, numberInRange('+7701900', n), { ip: ip(10 + n) })).status).toBe(200);
      expect((await sendCode(t, '+77019109999', { ip: ip(20) })).status).toBe(200);

      const rows = await decisions(t);
      expect(rows.map((row) => row.bypass ?? row.action)).toEqual([
        'allowed',
        'blocked',
        'allow_ip',
        'allow_ip',
        'blocked',
        'allow_phone',
        'allow_phone',
        'allow_phone',
      ]);
    } finally {
      await t.close();
    }
  });

  it('50 parallel sends to one prefix: exactly the limit passes, every allowed send counted once', async () => {
    const t = await enforcing({ ...QUIET_RULES, FRAUD_PREFIX_LIMIT_HOUR: '10' });
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, n) => sendCode(t, numberInRange('+7701950', n), { ip: ip(n) })),
      );
      expect(answers.filter((res) => res.status === 200)).toHaveLength(10);
      for (const res of answers.filter((answer) => answer.status !== 200)) expectBlocked(res, 'prefix_velocity');
      const { rows } = await t.sql.query(
        `SELECT (SELECT sends FROM fraud_subjects WHERE scope = 'prefix' AND key = '+7701950')::int AS prefix_sends,
                (SELECT sum(sends) FROM fraud_subjects WHERE scope = 'ip')::int AS ip_sends,
                (SELECT sum(sent) FROM fraud_sent_counts WHERE scope = 'country')::int AS bucket_sends,
                (SELECT array_agg(fraud_seq ORDER BY fraud_seq)::int[] FROM sms_verifications) AS seqs,
                (SELECT count(*) FROM fraud_decisions)::int AS decisions`,
      );
      expect(rows[0]).toEqual({
        prefix_sends: 10,
        ip_sends: 10,
        bucket_sends: 10,
        seqs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        decisions: 50,
      });
    } finally {
      await t.close();
    }
  });

  it('two instances share the counts', async () => {
    const database = await createTestDatabase();
    const env = { FRAUD_GUARD: 'enforce', ...NO_PHONE_LIMITS, ...QUIET_RULES, FRAUD_PREFIX_LIMIT_HOUR: '6' };
    const first = await createTestApp({ database, env });
    const second = await createTestApp({ database, env });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          sendCode(n % 2 ? first : second, numberInRange('+7701960', n), { ip: ip(n) }),
        ),
      );
      expect(answers.filter((res) => res.status === 200)).toHaveLength(6);
      // Sequential sends through either instance see the other's.
      expectBlocked(await sendCode(first, numberInRange('+7701960', 30), { ip: ip(30) }), 'prefix_velocity');
      expectBlocked(await sendCode(second, numberInRange('+7701960', 31), { ip: ip(31) }), 'prefix_velocity');
    } finally {
      await first.close();
      await second.close();
      await database.drop();
    }
  });
});
