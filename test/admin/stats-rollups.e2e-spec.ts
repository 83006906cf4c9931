import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { StatsController } from '../../apps/api/src/admin/stats/stats.controller';
import type { StatsPricing } from '../../apps/api/src/admin/stats/stats.repository';
import { medianOfValues } from '../support/median-precision';
import { rawStats, type RawPricing, type RawStatsRow } from '../support/raw-stats';
import { schemaDataSource, undoMigrationsThrough } from '../support/migrate';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { ADMIN_API_KEY, adminGet, STATS } from './admin-helpers';

/**
 * The rollups against the ground truth: a random workload of codes and attempts written straight to the tables
 * (many rows per statement, across providers, channels, countries and three days of hours, some pending codes
 * still valid), part of it folded into the rollups and part left as deltas; then every figure of every
 * group_by, over ranges that cut hours and ranges that do not, equals the figures computed from the raw rows
 * (the median within its documented precision).
 */
const PROVIDERS = ['console', 'mobizon', 'twilio', 'telegram'];
const CHANNELS = ['sms', 'sms', 'telegram', 'whatsapp'];
const COUNTRIES: (string | null)[] = ['KZ', 'UZ', 'KZ', null];
const GROUPINGS = ['day', 'provider', 'country', 'channel'];
const HOUR = 3_600_000;

/** mulberry32: the same workload at every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seeded(14);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (p: number) => random() < p;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

let serial = 0;

/** The hour that holds a fifth of the codes: four hours before the current one. */
const denseHourOf = (now: number) => Math.floor(now / HOUR) * HOUR - 4 * HOUR;

interface Code {
  id: string;
  createdAt: Date;
}

async function insertCodes(sql: Pool, now: number, count: number): Promise<Code[]> {
  const codes: Code[] = [];
  for (let i = 0; i < count; i++) {
    // Most over three days; some in the last ten minutes (pending and still valid); many in one hour, whose
    // parts the ranges that cut it read from its codes or take away from its rollup.
    const lot = random();
    const createdAt =
      lot < 0.1
        ? now - random() * 600_000
        : lot < 0.3
          ? denseHourOf(now) + random() * HOUR
          : now - random() * 72 * HOUR;
    codes.push({ id: randomUUID(), createdAt: new Date(createdAt) });
  }
  for (const batch of chunks(codes, 40)) {
    const values = batch.map(
      (code, n) => `($${n * 4 + 1}::uuid, $${n * 4 + 2}, $${n * 4 + 3}, $${n * 4 + 4}::timestamptz,
      $${n * 4 + 4}::timestamptz + make_interval(secs => ${30 + Math.floor(random() * 570)}), 'a', 'pending', 3, 'ru')`,
    );
    await sql.query(
      `INSERT INTO sms_verifications (id, phone_number, country, created_at, expires_at, code_hash, status,
         max_attempts, locale)
       VALUES ${values.join(', ')}`,
      batch.flatMap((code) => [code.id, `+7701${String(serial++).padStart(7, '0')}`, pick(COUNTRIES), code.createdAt]),
    );
  }
  return codes;
}

/** Sends, attempts, deliveries, verifies, failures, expiries: random, many rows per statement. */
async function liveThrough(sql: Pool, codes: Code[], round: number): Promise<void> {
  const sent = codes.filter(() => chance(0.85));
  for (const batch of chunks(sent, 30)) {
    await sql.query(
      `UPDATE sms_verifications v SET provider = x.provider, delivery_status = 'queued'
         FROM unnest($1::uuid[], $2::text[]) AS x(id, provider) WHERE v.id = x.id`,
      [batch.map((code) => code.id), batch.map(() => pick(PROVIDERS))],
    );
    const attempts = batch.flatMap((code) =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => ({
        verification: code.id,
        // A code's attempts are numbered on from its earlier ones (a later round is a failover).
        attempt: round * 10 + n + 1,
        provider: pick(PROVIDERS),
        channel: pick(CHANNELS),
        messageId: chance(0.8) ? randomUUID() : null,
        status: pick(['queued', 'sent', 'failed']),
        cost: chance(0.4) ? (random() * 0.1).toFixed(6) : null,
        currency: pick([null, 'USD', 'EUR']),
      })),
    );
    await sql.query(
      `INSERT INTO sms_deliveries (verification_id, attempt_number, provider, channel, provider_message_id, status,
         cost, cost_currency)
       SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::numeric[], $8::text[])`,
      [
        attempts.map((a) => a.verification),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.provider),
        attempts.map((a) => a.channel),
        attempts.map((a) => a.messageId),
        attempts.map((a) => a.status),
        attempts.map((a) => a.cost),
        attempts.map((a) => a.currency),
      ],
    );
  }
  // Delivery reports: some attempts delivered, read or failed, some costs stated late.
  await sql.query(
    `UPDATE sms_deliveries SET status = (ARRAY['delivered', 'read', 'failed'])[1 + floor(random() * 3)::int],
            cost = CASE WHEN random() < 0.3 THEN 0.013 ELSE cost END
      WHERE provider_message_id IS NOT NULL AND random() < 0.5`,
  );
  for (const batch of chunks(
    sent.filter(() => chance(0.7)),
    25,
  )) {
    await sql.query(
      `UPDATE sms_verifications v SET delivery_status = x.status
         FROM unnest($1::uuid[], $2::text[]) AS x(id, status) WHERE v.id = x.id`,
      [batch.map((code) => code.id), batch.map(() => pick(['delivered', 'read', 'failed', 'expired', 'sent']))],
    );
  }
  // Outcomes: verified (with a time to verify), too many attempts, failed, expired, replaced; the rest pending.
  const outcomes = codes.map((code) => ({
    code,
    outcome: pick(['approved', 'approved', 'max', 'failed', 'expired', 'canceled', 'pending']),
  }));
  for (const batch of chunks(outcomes, 35)) {
    await sql.query(
      `UPDATE sms_verifications v
          SET status = CASE x.outcome WHEN 'max' THEN 'max_attempts_reached' ELSE x.outcome END,
              verified_at = CASE WHEN x.outcome = 'approved' THEN v.created_at + make_interval(secs => x.seconds) END
         FROM unnest($1::uuid[], $2::text[], $3::float8[]) AS x(id, outcome, seconds)
        WHERE v.id = x.id AND x.outcome <> 'pending'`,
      [
        batch.map(({ code }) => code.id),
        batch.map(({ outcome }) => outcome),
        batch.map(() => (chance(0.5) ? 1 + random() * 40 : 1 + random() * 590)),
      ],
    );
  }
}

function pricingOf(t: TestApp): RawPricing {
  const controller: unknown = t.app.get(StatsController);
  const { pricing } = controller as { pricing: StatsPricing };
  return {
    prices: Object.fromEntries(pricing.prices),
    currency: pricing.currency,
    smsPriceByCountry: Object.fromEntries(pricing.smsPricePerCode.byCountry),
    smsPriceFallback: pricing.smsPricePerCode.fallback,
  };
}

const micros = (amount: string | null | undefined) => Math.round(Number(amount ?? 0) * 1e6);

function expected(row: RawStatsRow, groupBy: string) {
  return {
    requested: row.requested,
    sent: row.sent,
    delivered: row.delivered,
    failed: row.failed,
    verified: row.verified,
    expired: row.expired,
    max_attempts: row.max_attempts,
    conversion_rate: row.requested > 0 ? Math.round((row.verified / row.requested) * 10_000) / 10_000 : null,
    median_seconds_to_verify: medianOfValues(row.verify_seconds ?? []),
    estimated_cost: micros(row.estimated_cost),
    ...(groupBy === 'channel' ? { saved_vs_sms: micros(row.saved_vs_sms) } : {}),
  };
}

function reported(figures: Record<string, unknown>) {
  return {
    ...figures,
    estimated_cost: micros(figures.estimated_cost as string),
    ...('saved_vs_sms' in figures ? { saved_vs_sms: micros(figures.saved_vs_sms as string) } : {}),
  };
}

const PRICED = { ADMIN_API_KEY, SMS_PRICES: 'console=0.05;mobizon=0.04;twilio=0.07', SMS_PRICE_CURRENCY: 'USD' };

/** Every figure /admin/stats reports for [from, to) by `groupBy` equals the raw rows' (the median within precision). */
async function expectRawFigures(t: TestApp, from: Date, to: Date, groupBy: string): Promise<void> {
  const res = await adminGet(t, STATS, { from: from.toISOString(), to: to.toISOString(), group_by: groupBy }).expect(
    200,
  );
  const truth = await rawStats(t.sql, from, to, groupBy, pricingOf(t));
  const total = truth.find((row) => row.is_total);
  const groups = truth.filter((row) => !row.is_total);
  expect(groups.length).toBe(res.body.groups.length);
  const byKey = new Map(res.body.groups.map((group: { key: string }) => [group.key, group]));
  for (const row of groups) {
    const { key, ...figures } = byKey.get(row.key ?? 'unknown') as Record<string, unknown>;
    expect({ key, ...reported(figures) }).toEqual({ key: row.key ?? 'unknown', ...expected(row, groupBy) });
  }
  if (total) expect(reported(res.body.totals)).toEqual(expected(total, groupBy));
  else expect(res.body.totals.requested).toBe(0);
}

describe('statistics from rollups against the raw rows (e2e)', () => {
  let t: TestApp;
  let now: number;

  beforeAll(async () => {
    t = await createTestApp({ env: PRICED });
    now = Date.now();
    const first = await insertCodes(t.sql, now, 350);
    await liveThrough(t.sql, first, 0);
    await t.sql.query('SELECT sms_auth_stats_fold()');
    // After the fold: more codes, and more changes to the folded ones, left as deltas.
    const second = await insertCodes(t.sql, now, 250);
    await liveThrough(t.sql, [...second, ...first.filter(() => chance(0.3))], 1);
  }, 120_000);

  afterAll(() => t?.close());

  it('the workload left rollups and unfolded deltas both', async () => {
    const { rows } = await t.sql.query<{ rollups: number; deltas: number }>(
      `SELECT (SELECT count(*) FROM stats_rollups)::int AS rollups,
              (SELECT count(*) FROM stats_code_deltas)::int AS deltas`,
    );
    expect(rows[0].rollups).toBeGreaterThan(0);
    expect(rows[0].deltas).toBeGreaterThan(0);
  });

  const ranges: [string, () => [Date, Date]][] = [
    ['three days up to an hour from now', () => [new Date(now - 80 * HOUR), new Date(now + HOUR)]],
    [
      'cut hours at both ends, ending in the past',
      () => [new Date(now - 50 * HOUR + 17 * 60_000), new Date(now - 3 * HOUR + 5 * 60_000)],
    ],
    [
      'whole hours',
      () => {
        const hour = Math.floor(now / HOUR) * HOUR;
        return [new Date(hour - 30 * HOUR), new Date(hour - 2 * HOUR)];
      },
    ],
    [
      'inside one hour',
      () => {
        const hour = Math.floor(now / HOUR) * HOUR - 5 * HOUR;
        return [new Date(hour + 10 * 60_000), new Date(hour + 40 * 60_000)];
      },
    ],
    [
      'inside the dense hour, most of it (the hour less both sides)',
      () => [new Date(denseHourOf(now) + 8 * 60_000), new Date(denseHourOf(now) + 50 * 60_000)],
    ],
    [
      'ending in the dense hour, past its middle (the hour less the part after)',
      () => [new Date(now - 40 * HOUR), new Date(denseHourOf(now) + 36 * 60_000)],
    ],
    [
      'starting in the dense hour, before its middle (the hour less the part before)',
      () => [new Date(denseHourOf(now) + 22 * 60_000), new Date(now - HOUR)],
    ],
    ['the last 24 hours up to now', () => [new Date(now - 24 * HOUR), new Date()]],
    ['the last hour, with codes still valid', () => [new Date(now - HOUR), new Date(now + 60_000)]],
  ];

  for (const [name, range] of ranges)
    for (const groupBy of GROUPINGS)
      it(`${name}, group_by=${groupBy}: every figure as the raw rows give it`, async () => {
        const [from, to] = range();
        await expectRawFigures(t, from, to, groupBy);
      });
});

describe('rollups of the codes written before the migration (e2e)', () => {
  let t: TestApp;
  let now: number;

  beforeAll(async () => {
    const database = await createTestDatabase();
    const schema = await schemaDataSource(database.url).initialize();
    try {
      await undoMigrationsThrough(schema, 'StatsRollups1795365000000');
      expect(await schema.query(`SELECT to_regclass('stats_rollups') AS rollups`)).toEqual([{ rollups: null }]);
      const sql = new Pool({ connectionString: database.url, max: 2 });
      now = Date.now();
      const codes = await insertCodes(sql, now, 300);
      await liveThrough(sql, codes, 0);
      await sql.end();
      await schema.runMigrations({ transaction: 'each' });
    } finally {
      await schema.destroy();
    }
    t = await createTestApp({ database, env: PRICED });
  }, 120_000);

  afterAll(() => t?.close());

  for (const groupBy of GROUPINGS)
    it(`three days, group_by=${groupBy}: the migration's backfill gives the raw rows' figures`, async () => {
      const { rows } = await t.sql.query<{ deltas: number }>('SELECT count(*)::int AS deltas FROM stats_code_deltas');
      expect(rows[0].deltas).toBe(0);
      await expectRawFigures(t, new Date(now - 80 * HOUR), new Date(now + HOUR), groupBy);
    });
});
