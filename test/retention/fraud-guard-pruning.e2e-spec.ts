import { FraudGuardPruning, FRAUD_PRUNING_PAGES_PER_BATCH } from '@app/retention';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * The fraud guard's tables are pruned of what no rule reads again (windows of FraudGuardFunctions plus 3 days), and
 * the figures the rules read are the same before and after.
 */

const IP = '198.51.100.77';
const COUNTRY = 'KZ';

/** Prefixes the pruning keeps (+7701600, idle and not blocked, goes: its window starts afresh). */
const KEPT_PREFIXES = ['+7701601', '+7701602', '+7701603', '+7701604'];

/** What sms_auth_fraud_verdict reads: the windows of the IP and the country, the baseline, each breaker window. */
async function figuresTheRulesRead(t: TestApp, at: Date): Promise<unknown> {
  const { rows: windows } = await t.sql.query(
    `SELECT (sms_auth_fraud_window('ip', $1, $3)).*, 'ip' AS subject
     UNION ALL SELECT (sms_auth_fraud_window('country', $2, $3)).*, 'country'`,
    [IP, COUNTRY, at],
  );
  const { rows: baseline } = await t.sql.query(
    `SELECT coalesce(max(verified), 0) AS baseline FROM fraud_verified_counts
      WHERE scope = 'country_day' AND key = $1 AND bucket > date_trunc('day', $2::timestamptz, 'UTC') - interval '14 days'`,
    [COUNTRY, at],
  );
  const { rows: breakers } = await t.sql.query(
    `SELECT f.key, (SELECT count(*)::int FROM fraud_conversions c
                     WHERE c.prefix = f.key AND c.seq >= greatest(f.window_start, f.sends - 50)) AS verified_in_window,
            f.sends, f.window_start, f.blocked_until
       FROM fraud_subjects f WHERE f.scope = 'prefix' AND f.key = ANY($1) ORDER BY f.key`,
    [KEPT_PREFIXES],
  );
  expect(breakers).toHaveLength(KEPT_PREFIXES.length);
  return { windows, baseline, breakers };
}

async function keys(t: TestApp, sql: string): Promise<string[]> {
  const { rows } = await t.sql.query<{ k: string }>(sql);
  return rows.map((row) => row.k);
}

describe('fraud guard pruning', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { SMS_CODE_RETENTION_DAYS: '90' } });
    // Hourly buckets, hours before the current one: older than 96 (24 h read + 3 days) go. None is at the
    // boundary itself, so that the hour turning while the test runs changes nothing.
    await t.sql.query(
      `INSERT INTO fraud_sent_counts (scope, key, bucket, sent, cost)
       SELECT s.scope, s.key, date_trunc('hour', now(), 'UTC') - make_interval(hours => h), h + 1, 0.01 * h
         FROM (VALUES ('ip', $1), ('country', $2)) AS s(scope, key),
              unnest(ARRAY[0, 1, 5, 23, 24, 30, 94, 95, 97, 120, 500]) AS h`,
      [IP, COUNTRY],
    );
    await t.sql.query(
      `INSERT INTO fraud_verified_counts (scope, key, bucket, verified)
       SELECT s.scope, s.key, date_trunc('hour', now(), 'UTC') - make_interval(hours => h), 1
         FROM (VALUES ('ip', $1), ('country', $2)) AS s(scope, key), unnest(ARRAY[0, 2, 23, 95, 97, 300]) AS h`,
      [IP, COUNTRY],
    );
    // Daily verified buckets of the baseline, days before today: older than 17 (14 days read + 3) go.
    await t.sql.query(
      `INSERT INTO fraud_verified_counts (scope, key, bucket, verified)
       SELECT 'country_day', $1, date_trunc('day', now(), 'UTC') - make_interval(days => d), 10 + d
         FROM unnest(ARRAY[0, 1, 13, 14, 16, 18, 40]) AS d`,
      [COUNTRY],
    );
    // Many expired buckets, over more than one range of pages.
    await t.sql.query(
      `INSERT INTO fraud_sent_counts (scope, key, bucket, sent)
       SELECT 'ip', '10.77.' || (n / 250) || '.' || (n % 250), date_trunc('hour', now(), 'UTC') - interval '10 days', 1
         FROM generate_series(1, 40000) AS n`,
    );
    await t.sql.query(
      `INSERT INTO fraud_subjects (scope, key, sends, window_start, blocked_until, blocked_at, updated_at) VALUES
         ('ip', $1, 30, 0, NULL, NULL, now() - interval '1 hour'),
         ('ip', '203.0.113.1', 5, 0, NULL, NULL, now() - interval '3 days'),
         ('ip', '203.0.113.2', 5, 0, NULL, NULL, now() - interval '5 days'),
         ('country', $2, 0, 0, NULL, NULL, now() - interval '400 days'),
         ('prefix', '+7701600', 40, 0, NULL, NULL, now() - interval '100 days'),
         ('prefix', '+7701601', 60, 60, now() + interval '2 hours', now() - interval '10 hours',
           now() - interval '100 days'),
         ('prefix', '+7701602', 20000, 0, NULL, NULL, now() - interval '10 minutes'),
         ('prefix', '+7701603', 100, 60, NULL, now() - interval '20 days', now() - interval '1 day'),
         ('prefix', '+7701604', 30, 0, NULL, NULL, now() - interval '80 days')`,
      [IP, COUNTRY],
    );
    await t.sql.query(
      `INSERT INTO fraud_conversions (prefix, seq) VALUES
         ('+7701600', 3), ('+7701600', 39),
         ('+7701601', 59),
         ('+7701602', 5000), ('+7701602', 9999), ('+7701602', 10000), ('+7701602', 19990),
         ('+7701603', 10), ('+7701603', 59), ('+7701603', 60), ('+7701603', 99),
         ('+7701604', 1),
         ('+7701699', 3)`,
    );
  });
  afterAll(() => t.close());

  it('removes what no rule reads again; the figures the rules read stay the same', async () => {
    const { rows: pages } = await t.sql.query<{ n: number }>(
      `SELECT (pg_relation_size('fraud_sent_counts') / current_setting('block_size')::int)::int AS n`,
    );
    expect(pages[0].n).toBeGreaterThan(FRAUD_PRUNING_PAGES_PER_BATCH);
    const at = new Date();
    const before = await figuresTheRulesRead(t, at);

    const report = await t.app.get(FraudGuardPruning).run(() => false);

    expect(await figuresTheRulesRead(t, at)).toEqual(before);
    expect(report).toEqual({
      sentCounts: 2 * 3 + 40000,
      verifiedCounts: 2 * 2 + 2,
      subjects: 2,
      conversions: 2 + 6,
      complete: true,
    });
    expect(
      await keys(
        t,
        `SELECT DISTINCT (extract(epoch FROM date_trunc('hour', now(), 'UTC') - bucket) / 3600)::int::text AS k
           FROM fraud_sent_counts ORDER BY 1`,
      ),
    ).toEqual(['0', '1', '23', '24', '30', '5', '94', '95']);
    expect(
      await keys(
        t,
        `SELECT (extract(epoch FROM date_trunc('day', now(), 'UTC') - bucket) / 86400)::int::text AS k
           FROM fraud_verified_counts WHERE scope = 'country_day' ORDER BY bucket DESC`,
      ),
    ).toEqual(['0', '1', '13', '14', '16']);
    // Idle IPs go; countries stay; a prefix idle for SMS_CODE_RETENTION_DAYS goes with its conversions unless blocked.
    expect(await keys(t, `SELECT scope || ' ' || key AS k FROM fraud_subjects ORDER BY 1`)).toEqual([
      `country ${COUNTRY}`,
      `ip ${IP}`,
      'ip 203.0.113.1',
      'prefix +7701601',
      'prefix +7701602',
      'prefix +7701603',
      'prefix +7701604',
    ]);
    // Below every breaker window (window_start, or sends - 10000 for the largest FRAUD_BREAKER_WINDOW) or orphaned.
    expect(await keys(t, `SELECT prefix || ':' || seq AS k FROM fraud_conversions ORDER BY prefix, seq`)).toEqual([
      '+7701602:10000',
      '+7701602:19990',
      '+7701603:60',
      '+7701603:99',
      '+7701604:1',
    ]);

    expect(await t.app.get(FraudGuardPruning).run(() => false)).toEqual({
      sentCounts: 0,
      verifiedCounts: 0,
      subjects: 0,
      conversions: 0,
      complete: true,
    });
  });
});
