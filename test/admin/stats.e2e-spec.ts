import { type GreenSmsFake, startGreenSmsFake } from '../fakes/greensms.fake';
import { ageCodes, expectError, verify, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, nextUzbekPhone, type TestApp } from '../support/test-app';
import { medianNear } from '../support/median-precision';
import { ADMIN_API_KEY, adminGet, sendOk, STATS } from './admin-helpers';

/**
 * GET /admin/stats against codes this file created, with the definitions of stats.repository.ts:
 * requested = every code created in [from, to) (send and resend); sent = a provider accepted it
 * (provider IS NOT NULL, test numbers included); delivered = delivery_status 'delivered'; failed =
 * status 'failed' or delivery_status 'failed'/'expired'; verified = status 'approved'; expired = status
 * 'expired' or still pending past expires_at; max_attempts = status 'max_attempts_reached';
 * conversion = verified / requested (4 decimals); median of verified_at − created_at over approved
 * codes; cost = accepted deliveries (with a vendor message id) × SMS_PRICES, summed as numeric.
 */

const TEST_NUMBER = '+77000000001';
const TEST_CODE = '111111';
const DAY_MS = 86_400_000;

type Provider = 'console' | 'test_number' | 'none';

/** One code the arrangement created, and what it must count as. */
interface Arranged {
  label: string;
  id: string;
  country: 'KZ' | 'UZ';
  provider: Provider;
  sent: boolean;
  delivered: boolean;
  failed: boolean;
  verified: boolean;
  expired: boolean;
  maxAttempts: boolean;
  /** verified_at − created_at, set exactly. */
  seconds?: number;
  /** Accepted by the console provider (price 0.05). */
  consoleSms: boolean;
  /** Moved back by one day (for group_by=day). */
  aged: boolean;
}

interface Figures {
  requested: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  expired: number;
  max_attempts: number;
  conversion_rate: number | null;
  median_seconds_to_verify: number | null;
  estimated_cost: string;
}

const ZERO: Figures = {
  requested: 0,
  sent: 0,
  delivered: 0,
  failed: 0,
  verified: 0,
  expired: 0,
  max_attempts: 0,
  conversion_rate: null,
  median_seconds_to_verify: null,
  estimated_cost: '0',
};

/**
 * The figures of a set of arranged codes, by their bookkeeping (used for the day grouping, whose keys
 * depend on the clock). Postgres sums numeric prices keeping their scale: 2 × 0.05 is '0.10'; codes with
 * no priced SMS sum to '0'.
 */
function figuresOf(rows: Arranged[]): Figures {
  const count = (flag: (row: Arranged) => boolean) => rows.filter(flag).length;
  const seconds = rows
    .filter((row) => row.verified)
    .map((row) => row.seconds!)
    .sort((a, b) => a - b);
  const middle = Math.floor(seconds.length / 2);
  const median =
    seconds.length === 0 ? null : seconds.length % 2 ? seconds[middle] : (seconds[middle - 1] + seconds[middle]) / 2;
  const priced = count((row) => row.consoleSms);
  return {
    requested: rows.length,
    sent: count((row) => row.sent),
    delivered: count((row) => row.delivered),
    failed: count((row) => row.failed),
    verified: count((row) => row.verified),
    expired: count((row) => row.expired),
    max_attempts: count((row) => row.maxAttempts),
    conversion_rate: rows.length ? Math.round((count((row) => row.verified) / rows.length) * 10_000) / 10_000 : null,
    median_seconds_to_verify: median,
    estimated_cost: priced ? (priced * 0.05).toFixed(2) : '0',
  };
}

/** The figures as the API reports them: the median from its histogram, within its precision. */
function asReported(figures: Figures): Figures {
  return { ...figures, median_seconds_to_verify: medianNear(figures.median_seconds_to_verify) };
}

function sumOfGroups(
  groups: (Figures & { key: string })[],
): Pick<Figures, 'requested' | 'sent' | 'delivered' | 'failed' | 'verified' | 'expired' | 'max_attempts'> {
  const sum = (field: keyof Figures) => groups.reduce((total, group) => total + (group[field] as number), 0);
  return {
    requested: sum('requested'),
    sent: sum('sent'),
    delivered: sum('delivered'),
    failed: sum('failed'),
    verified: sum('verified'),
    expired: sum('expired'),
    max_attempts: sum('max_attempts'),
  };
}

describe('GET /admin/stats', () => {
  let greensms: GreenSmsFake;
  /** The app under test: console provider, SMS_PRICES='console=0.05', currency USD (the default). */
  let t: TestApp;
  /**
   * A second instance on the same database whose only vendor (a GreenSMS fake) is down: its sends fail
   * for real (status 'failed', provider NULL, one failed delivery attempt), which the console provider
   * cannot do. It has no SMS_PRICES, so it also shows the currency-less answer.
   */
  let down: TestApp;
  const arranged: Arranged[] = [];
  /** A code of 8 days ago (midnight UTC exactly), outside the default range. */
  let old: { id: string; createdAt: Date };

  const base = {
    sent: true,
    delivered: true,
    failed: false,
    verified: false,
    expired: false,
    maxAttempts: false,
    consoleSms: true,
    aged: false,
  };

  async function setVerifiedAfter(id: string, seconds: number): Promise<void> {
    await t.sql.query(
      `UPDATE sms_verifications SET verified_at = created_at + make_interval(secs => $2) WHERE id = $1`,
      [id, seconds],
    );
  }

  /** Moves a code and its delivery attempts back in time, every timestamp together. */
  async function age(id: string, interval: string): Promise<void> {
    await t.sql.query(
      `UPDATE sms_verifications
          SET created_at = created_at - $2::interval, updated_at = updated_at - $2::interval,
              expires_at = expires_at - $2::interval, verified_at = verified_at - $2::interval
        WHERE id = $1`,
      [id, interval],
    );
    await t.sql.query(
      `UPDATE sms_deliveries SET created_at = created_at - $2::interval, updated_at = updated_at - $2::interval WHERE verification_id = $1`,
      [id, interval],
    );
  }

  /** What a delivery report would do (the console provider reports 'delivered' at once and has no webhooks). */
  async function setDeliveryStatus(id: string, status: 'failed' | 'sent'): Promise<void> {
    await t.sql.query(`UPDATE sms_verifications SET delivery_status = $2 WHERE id = $1`, [id, status]);
    await t.sql.query(`UPDATE sms_deliveries SET status = $2 WHERE verification_id = $1`, [id, status]);
  }

  async function verifyOk(app: TestApp, phone: string, code: string): Promise<void> {
    const res = await verify(app, phone, code, nextIp());
    if (res.status !== 200) throw new Error(`verify-code ${phone} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async function arrange(): Promise<void> {
    // Approved, aged one day, verified after exactly 10 s.
    {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      await verifyOk(t, phone, sent.debug_code);
      await age(sent.verification_id, '1 day');
      await setVerifiedAfter(sent.verification_id, 10);
      arranged.push({
        ...base,
        label: 'approved, yesterday',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        verified: true,
        seconds: 10,
        aged: true,
      });
    }
    // Approved after one wrong code, today, 30 s.
    {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      expectError(await verify(t, phone, wrongCode(sent.debug_code), nextIp()), 400, 'CODE_INVALID');
      await verifyOk(t, phone, sent.debug_code);
      await setVerifiedAfter(sent.verification_id, 30);
      arranged.push({
        ...base,
        label: 'approved after a wrong code',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        verified: true,
        seconds: 30,
      });
    }
    // Five wrong codes: max_attempts_reached, aged one day.
    {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      for (let i = 0; i < 4; i++)
        expectError(await verify(t, phone, wrongCode(sent.debug_code), nextIp()), 400, 'CODE_INVALID');
      expectError(await verify(t, phone, wrongCode(sent.debug_code), nextIp()), 403, 'MAX_ATTEMPTS_REACHED');
      await age(sent.verification_id, '1 day');
      arranged.push({
        ...base,
        label: 'max attempts, yesterday',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        maxAttempts: true,
        aged: true,
      });
    }
    // Still pending but past its expiry (nobody tried it): counts as expired.
    {
      const sent = await sendOk(t, nextPhone());
      await t.sql.query(`UPDATE sms_verifications SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        sent.verification_id,
      ]);
      arranged.push({
        ...base,
        label: 'pending past expiry',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        expired: true,
      });
    }
    // Past its expiry and then tried: the API itself moves it to status 'expired'.
    {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      await t.sql.query(`UPDATE sms_verifications SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        sent.verification_id,
      ]);
      expectError(await verify(t, phone, sent.debug_code, nextIp()), 410, 'CODE_EXPIRED');
      arranged.push({
        ...base,
        label: 'expired by a late verify',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        expired: true,
      });
    }
    // A send and a resend (two minutes later, past the cooldown): the first is canceled; both were requested.
    {
      const phone = nextPhone();
      const first = await sendOk(t, phone);
      await ageCodes(t, phone, '2 minutes');
      const second = await sendOk(t, phone, { resend: true });
      arranged.push({
        ...base,
        label: 'canceled by a resend',
        id: first.verification_id,
        country: 'KZ',
        provider: 'console',
      });
      arranged.push({
        ...base,
        label: 'resent, pending',
        id: second.verification_id,
        country: 'KZ',
        provider: 'console',
      });
    }
    // Sent, then reported undelivered.
    {
      const sent = await sendOk(t, nextPhone());
      await setDeliveryStatus(sent.verification_id, 'failed');
      arranged.push({
        ...base,
        label: 'delivery failed',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        delivered: false,
        failed: true,
      });
    }
    // Sent, no delivery report yet.
    {
      const sent = await sendOk(t, nextPhone());
      await setDeliveryStatus(sent.verification_id, 'sent');
      arranged.push({
        ...base,
        label: 'awaiting delivery',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'console',
        delivered: false,
      });
    }
    // No provider accepted it (the other instance, whose vendor is down).
    {
      const phone = nextPhone();
      greensms.failSends(true);
      const res = await down.http
        .post('/api/v1/sms-auth/send-code')
        .set('X-Forwarded-For', nextIp())
        .send({ phone_number: phone });
      greensms.failSends(false);
      expectError(res, 503, 'SMS_PROVIDER_UNAVAILABLE');
      const { rows } = await t.sql.query(`SELECT id FROM sms_verifications WHERE phone_number = $1`, [phone]);
      expect(rows).toHaveLength(1);
      arranged.push({
        ...base,
        label: 'send failed',
        id: rows[0].id,
        country: 'KZ',
        provider: 'none',
        sent: false,
        delivered: false,
        failed: true,
        consoleSms: false,
      });
    }
    // A configured test number: provider test_number, no SMS, nothing to pay; verified after 20 s.
    {
      const sent = await sendOk(t, TEST_NUMBER);
      await verifyOk(t, TEST_NUMBER, TEST_CODE);
      await setVerifiedAfter(sent.verification_id, 20);
      arranged.push({
        ...base,
        label: 'test number, approved',
        id: sent.verification_id,
        country: 'KZ',
        provider: 'test_number',
        verified: true,
        seconds: 20,
        consoleSms: false,
      });
    }
    // Uzbekistan: one approved yesterday (20 s), one pending today.
    {
      const phone = nextUzbekPhone();
      const sent = await sendOk(t, phone);
      await verifyOk(t, phone, sent.debug_code);
      await age(sent.verification_id, '1 day');
      await setVerifiedAfter(sent.verification_id, 20);
      arranged.push({
        ...base,
        label: 'UZ approved, yesterday',
        id: sent.verification_id,
        country: 'UZ',
        provider: 'console',
        verified: true,
        seconds: 20,
        aged: true,
      });
    }
    {
      const sent = await sendOk(t, nextUzbekPhone());
      arranged.push({ ...base, label: 'UZ pending', id: sent.verification_id, country: 'UZ', provider: 'console' });
    }
    // Approved 8 days ago, at midnight UTC exactly, verified after 100 s: outside the default 7 days.
    {
      const phone = nextPhone();
      const sent = await sendOk(t, phone);
      await verifyOk(t, phone, sent.debug_code);
      const { rows } = await t.sql.query(
        `UPDATE sms_verifications
            SET created_at = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '8 days'
          WHERE id = $1 RETURNING created_at`,
        [sent.verification_id],
      );
      await t.sql.query(
        `UPDATE sms_verifications SET updated_at = created_at + interval '100 seconds', verified_at = created_at + interval '100 seconds', expires_at = created_at + interval '600 seconds' WHERE id = $1`,
        [sent.verification_id],
      );
      await t.sql.query(`UPDATE sms_deliveries SET created_at = $2, updated_at = $2 WHERE verification_id = $1`, [
        sent.verification_id,
        rows[0].created_at,
      ]);
      old = { id: sent.verification_id, createdAt: new Date(rows[0].created_at) };
    }
  }

  beforeAll(async () => {
    greensms = await startGreenSmsFake();
    t = await createTestApp({
      env: {
        ADMIN_API_KEY,
        SMS_PRICES: 'console=0.05',
        SMS_TEST_NUMBERS: `${TEST_NUMBER}:${TEST_CODE}`,
        OTP_TTL_SECONDS: '600',
      },
    });
    down = await createTestApp({
      database: t.database,
      env: {
        ...greensms.env,
        SMS_PROVIDER: 'greensms',
        ADMIN_API_KEY,
        SMS_PRICE_CURRENCY: 'KZT',
        OTP_TTL_SECONDS: '600',
        SMS_PROVIDER_TIMEOUT_MS: '2000',
      },
    });
    await arrange();
  });
  afterAll(async () => {
    await down?.close();
    await t?.close();
    await greensms?.close();
  });

  it('arranged the codes it meant to (checked in the database)', async () => {
    const { rows } = await t.sql.query(`SELECT id, status, provider, delivery_status, country FROM sms_verifications`);
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(rows).toHaveLength(arranged.length + 1);
    const summary = arranged.map((row) => ({ label: row.label, ...byId.get(row.id) }));
    expect(
      summary.map(({ label, status, provider, delivery_status, country }) => [
        label,
        status,
        provider,
        delivery_status,
        country,
      ]),
    ).toEqual([
      ['approved, yesterday', 'approved', 'console', 'delivered', 'KZ'],
      ['approved after a wrong code', 'approved', 'console', 'delivered', 'KZ'],
      ['max attempts, yesterday', 'max_attempts_reached', 'console', 'delivered', 'KZ'],
      ['pending past expiry', 'pending', 'console', 'delivered', 'KZ'],
      ['expired by a late verify', 'expired', 'console', 'delivered', 'KZ'],
      ['canceled by a resend', 'canceled', 'console', 'delivered', 'KZ'],
      ['resent, pending', 'pending', 'console', 'delivered', 'KZ'],
      ['delivery failed', 'pending', 'console', 'failed', 'KZ'],
      ['awaiting delivery', 'pending', 'console', 'sent', 'KZ'],
      ['send failed', 'failed', null, 'failed', 'KZ'],
      ['test number, approved', 'approved', 'test_number', 'delivered', 'KZ'],
      ['UZ approved, yesterday', 'approved', 'console', 'delivered', 'UZ'],
      ['UZ pending', 'pending', 'console', 'delivered', 'UZ'],
    ]);
    // The failed send left one attempt without a message id (so it costs nothing), at the vendor that was down.
    const { rows: attempts } = await t.sql.query(
      `SELECT provider, status, provider_message_id FROM sms_deliveries WHERE verification_id = $1`,
      [arranged[9].id],
    );
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    for (const attempt of attempts)
      expect(attempt).toEqual({ provider: 'greensms', status: 'failed', provider_message_id: null });
  });

  // 13 codes in the last 7 days: 11 accepted by the console provider (11 × 0.05 = 0.55), 1 by no provider,
  // 1 test number; 4 approved after 10, 30, 20 and 20 s (median 20).
  const TOTALS: Figures = {
    requested: 13,
    sent: 12,
    delivered: 10,
    failed: 2,
    verified: 4,
    expired: 2,
    max_attempts: 1,
    conversion_rate: 0.3077,
    median_seconds_to_verify: medianNear(20),
    estimated_cost: '0.55',
  };

  it('the bookkeeping of the arranged codes agrees with the hand-counted totals', () => {
    expect(figuresOf(arranged)).toEqual(TOTALS);
  });

  it('defaults to the last 7 days, grouped by day, in the configured currency', async () => {
    const res = await adminGet(t, STATS).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['currency', 'from', 'group_by', 'groups', 'success', 'to', 'totals']);
    expect(res.body).toMatchObject({ success: true, group_by: 'day', currency: 'USD' });
    const from = new Date(res.body.from);
    const to = new Date(res.body.to);
    expect(res.body.from).toBe(from.toISOString());
    expect(res.body.to).toBe(to.toISOString());
    expect(to.getTime() - from.getTime()).toBe(7 * DAY_MS);
    // The 8-day-old code is outside; everything else is in.
    expect(from.getTime()).toBeGreaterThan(old.createdAt.getTime());
    expect(res.body.totals).toEqual(TOTALS);
  });

  it('group_by=country: KZ and UZ, largest first; totals are the sum of the groups', async () => {
    const res = await adminGet(t, STATS, { group_by: 'country' }).expect(200);
    expect(res.body.group_by).toBe('country');
    expect(res.body.totals).toEqual(TOTALS);
    expect(res.body.groups).toEqual([
      {
        key: 'KZ',
        requested: 11,
        sent: 10,
        delivered: 8,
        failed: 2,
        verified: 3,
        expired: 2,
        max_attempts: 1,
        conversion_rate: 0.2727,
        median_seconds_to_verify: medianNear(20),
        estimated_cost: '0.45',
      },
      {
        key: 'UZ',
        requested: 2,
        sent: 2,
        delivered: 2,
        failed: 0,
        verified: 1,
        expired: 0,
        max_attempts: 0,
        conversion_rate: 0.5,
        median_seconds_to_verify: medianNear(20),
        estimated_cost: '0.10',
      },
    ]);
    expect(res.body.groups).toEqual(
      ['KZ', 'UZ'].map((country) => ({
        key: country,
        ...asReported(figuresOf(arranged.filter((row) => row.country === country))),
      })),
    );
    expect(sumOfGroups(res.body.groups)).toEqual(sumOfGroups([{ key: 'total', ...res.body.totals }]));
  });

  it("group_by=provider: console, 'none' for the send no provider accepted, and test_number", async () => {
    const res = await adminGet(t, STATS, { group_by: 'provider' }).expect(200);
    expect(res.body.group_by).toBe('provider');
    expect(res.body.totals).toEqual(TOTALS);
    expect(res.body.groups).toEqual([
      {
        key: 'console',
        requested: 11,
        sent: 11,
        delivered: 9,
        failed: 1,
        verified: 3,
        expired: 2,
        max_attempts: 1,
        conversion_rate: 0.2727,
        median_seconds_to_verify: medianNear(20),
        estimated_cost: '0.55',
      },
      {
        key: 'none',
        requested: 1,
        sent: 0,
        delivered: 0,
        failed: 1,
        verified: 0,
        expired: 0,
        max_attempts: 0,
        conversion_rate: 0,
        median_seconds_to_verify: null,
        estimated_cost: '0',
      },
      {
        key: 'test_number',
        requested: 1,
        sent: 1,
        delivered: 1,
        failed: 0,
        verified: 1,
        expired: 0,
        max_attempts: 0,
        conversion_rate: 1,
        median_seconds_to_verify: medianNear(20),
        estimated_cost: '0',
      },
    ]);
    expect(sumOfGroups(res.body.groups)).toEqual(sumOfGroups([{ key: 'total', ...res.body.totals }]));
  });

  it('group_by=day: one group per UTC day, oldest first, with the right counts', async () => {
    const { rows } = await t.sql.query(
      `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM sms_verifications WHERE id = ANY($1::uuid[])`,
      [arranged.map((row) => row.id)],
    );
    const dayOf = new Map<string, string>(rows.map((row) => [row.id, row.day]));
    const days = [...new Set(arranged.map((row) => dayOf.get(row.id)!))].sort();
    const res = await adminGet(t, STATS, { group_by: 'day' }).expect(200);
    expect(res.body.group_by).toBe('day');
    expect(res.body.totals).toEqual(TOTALS);
    expect(res.body.groups).toEqual(
      days.map((day) => ({
        key: day,
        ...asReported(figuresOf(arranged.filter((row) => dayOf.get(row.id) === day))),
      })),
    );
    expect(sumOfGroups(res.body.groups)).toEqual(sumOfGroups([{ key: 'total', ...res.body.totals }]));

    // The aged codes fall on the UTC day before the others (unless the arrangement straddled midnight,
    // in which case the groups above still had to match the database's days).
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const agedDays = new Set(arranged.filter((row) => row.aged).map((row) => dayOf.get(row.id)));
    const freshDays = new Set(arranged.filter((row) => !row.aged).map((row) => dayOf.get(row.id)));
    if (agedDays.size === 1 && freshDays.size === 1 && freshDays.has(today)) {
      expect([...agedDays]).toEqual([yesterday]);
      expect(res.body.groups).toEqual([
        {
          key: yesterday,
          requested: 3,
          sent: 3,
          delivered: 3,
          failed: 0,
          verified: 2,
          expired: 0,
          max_attempts: 1,
          conversion_rate: 0.6667,
          median_seconds_to_verify: medianNear(15),
          estimated_cost: '0.15',
        },
        {
          key: today,
          requested: 10,
          sent: 9,
          delivered: 7,
          failed: 2,
          verified: 2,
          expired: 2,
          max_attempts: 0,
          conversion_rate: 0.2,
          median_seconds_to_verify: medianNear(25),
          estimated_cost: '0.40',
        },
      ]);
    }
  });

  it('group_by defaults to day', async () => {
    const [implicit, explicit] = await Promise.all([
      adminGet(t, STATS).expect(200),
      adminGet(t, STATS, { group_by: 'day' }).expect(200),
    ]);
    expect(implicit.body.group_by).toBe('day');
    expect(implicit.body.groups).toEqual(explicit.body.groups);
  });

  it('an explicit range reaches the code of 8 days ago; from is inclusive, to exclusive', async () => {
    const from = new Date(old.createdAt.getTime() - DAY_MS).toISOString();
    const res = await adminGet(t, STATS, { from, group_by: 'country' }).expect(200);
    expect(res.body.from).toBe(from);
    expect(res.body.totals).toEqual({
      requested: 14,
      sent: 13,
      delivered: 11,
      failed: 2,
      verified: 5,
      expired: 2,
      max_attempts: 1,
      conversion_rate: 0.3571,
      median_seconds_to_verify: medianNear(20),
      estimated_cost: '0.60',
    });

    // Exactly the old code: from = its created_at (inclusive).
    const only = { from: old.createdAt.toISOString(), to: new Date(old.createdAt.getTime() + DAY_MS).toISOString() };
    const onlyOld = await adminGet(t, STATS, { ...only, group_by: 'day' }).expect(200);
    const oldFigures = {
      requested: 1,
      sent: 1,
      delivered: 1,
      failed: 0,
      verified: 1,
      expired: 0,
      max_attempts: 0,
      conversion_rate: 1,
      median_seconds_to_verify: medianNear(100),
      estimated_cost: '0.05',
    };
    expect(onlyOld.body).toMatchObject({ from: only.from, to: only.to });
    expect(onlyOld.body.totals).toEqual(oldFigures);
    expect(onlyOld.body.groups).toEqual([{ key: old.createdAt.toISOString().slice(0, 10), ...oldFigures }]);

    // The day before it, ending at its created_at (exclusive): nothing.
    const before = await adminGet(t, STATS, { from, to: old.createdAt.toISOString() }).expect(200);
    expect(before.body.totals).toEqual(ZERO);
    expect(before.body.groups).toEqual([]);
  });

  it.each(['day', 'provider', 'country'])(
    'a range that excludes everything gives zeros, null rates and no groups (group_by=%s)',
    async (groupBy) => {
      const res = await adminGet(t, STATS, {
        from: '2001-01-01T00:00:00Z',
        to: '2001-01-08T00:00:00Z',
        group_by: groupBy,
      }).expect(200);
      expect(res.body).toEqual({
        success: true,
        from: '2001-01-01T00:00:00.000Z',
        to: '2001-01-08T00:00:00.000Z',
        group_by: groupBy,
        currency: 'USD',
        totals: ZERO,
        groups: [],
      });
    },
  );

  it('without SMS_PRICES: currency null and no cost, every other figure the same', async () => {
    const res = await adminGet(down, STATS, { group_by: 'country' }).expect(200);
    expect(res.body.currency).toBeNull();
    expect(res.body.totals).toEqual({ ...TOTALS, estimated_cost: '0' });
    expect(
      res.body.groups.map((group: Figures & { key: string }) => [group.key, group.requested, group.estimated_cost]),
    ).toEqual([
      ['KZ', 11, '0'],
      ['UZ', 2, '0'],
    ]);
  });
});
