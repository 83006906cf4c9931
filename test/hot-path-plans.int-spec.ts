import { randomBytes } from 'node:crypto';
import { hashRefreshToken } from '../libs/auth/src/refresh-token-codec';
import { fraudGuardFunctionDefinition } from '../migrations/1795351000000-FraudGuardFunctions';
import { useTestDatabaseClient } from './support/test-database';

/**
 * How the hot-path SQL functions run, where the plan decides the cost: writers whose statements are planned once
 * per session (migration PlpgsqlWriters), a refresh batch that looks its tokens up through the index rather than
 * reading the whole of refresh_tokens (migration RefreshBatchByIndex), and the fraud verdict's helpers inlined
 * into its statements (migration FraudGuardInlined).
 */
describe('hot-path SQL plans', () => {
  const db = useTestDatabaseClient();

  it('no writing function is SQL-language: Postgres would parse and plan its statements at every call', async () => {
    const { rows } = await db.client.query(
      `SELECT p.proname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'sql' AND p.provolatile = 'v'
        ORDER BY 1`,
    );
    expect(rows).toEqual([]);
  });

  it('a refresh batch finds its tokens through the token_hash index, without a scan of refresh_tokens', async () => {
    await db.client.query(`INSERT INTO users (phone_number) VALUES ('+77010000001')`);
    await db.client.query(
      `INSERT INTO sessions (user_id, expires_at) SELECT id, now() + interval '30 days' FROM users`,
    );
    // Many tokens of other sessions, and the planner told so: the scan would be its cheapest plan otherwise.
    await db.client.query(
      `INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
       SELECT s.id, encode(sha256(g::text::bytea), 'hex'), now() + interval '1 day'
         FROM sessions s, generate_series(1, 5000) AS g`,
    );
    const live = randomBytes(16).toString('hex');
    await db.client.query(
      `INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
       SELECT id, $1, now() + interval '1 day' FROM sessions`,
      [hashRefreshToken(live)],
    );
    await db.client.query('ANALYZE refresh_tokens');

    const request = (token: string) => ({
      token_hash: hashRefreshToken(token),
      new_token_hash: hashRefreshToken(randomBytes(16).toString('hex')),
      ip: '203.0.113.7',
      user_agent: 'jest',
    });
    await db.client.query('BEGIN');
    try {
      const { rows } = await db.client.query<{ request: number; result: string }>(
        'SELECT request, result FROM sms_auth_refresh_tokens($1, 3600, 10, 5) ORDER BY request',
        [JSON.stringify([request(live), request('unknown')])],
      );
      expect(rows).toEqual([
        { request: 1, result: 'ROTATED' },
        { request: 2, result: 'UNAUTHORIZED' },
      ]);
      const scans = await db.client.query<{ seq_scan: string }>(
        `SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'refresh_tokens'`,
      );
      expect(Number(scans.rows[0].seq_scan)).toBe(0);
    } finally {
      await db.client.query('ROLLBACK');
    }
  });

  it("the fraud verdict's helpers are inlined into the statements that use them", async () => {
    const plan = async (sql: string) =>
      (await db.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${sql}`)).rows
        .map((row) => row['QUERY PLAN'])
        .join('\n');
    const window = await plan(`SELECT * FROM sms_auth_fraud_window('ip', '203.0.113.7', now())`);
    expect(window).not.toMatch(/Function Scan/);
    expect(window).toMatch(/fraud_sent_counts/);
    // A count only known at run time: folded away as a constant otherwise.
    const rule = await plan(`SELECT sms_auth_fraud_rule('ip_unverified', 'day', (random() * 10)::int, 5, true)`);
    expect(rule).toMatch(/jsonb_build_object/);
  });

  it('the inlined window gives the figures of the PL/pgSQL one it replaced, at any minute of the hour', async () => {
    const reference = fraudGuardFunctionDefinition('sms_auth_fraud_window').replace(
      'CREATE FUNCTION sms_auth_fraud_window(',
      'CREATE FUNCTION pg_temp.reference_fraud_window(',
    );
    await db.client.query('BEGIN');
    try {
      await db.client.query(reference);
      await db.client.query(
        `INSERT INTO fraud_sent_counts (scope, key, bucket, sent, cost)
         SELECT 'country', 'KZ', date_trunc('hour', now(), 'UTC') - make_interval(hours => h), 1 + h % 7, h * 0.03
           FROM generate_series(0, 30) AS h`,
      );
      await db.client.query(
        `INSERT INTO fraud_verified_counts (scope, key, bucket, verified)
         SELECT 'country', 'KZ', date_trunc('hour', now(), 'UTC') - make_interval(hours => h), h % 3
           FROM generate_series(0, 30, 2) AS h`,
      );
      const { rows } = await db.client.query<{ minute: number; inlined: unknown; replaced: unknown }>(
        `SELECT m AS minute,
                (SELECT to_jsonb(w) FROM sms_auth_fraud_window('country', 'KZ', at) AS w) AS inlined,
                (SELECT to_jsonb(w) FROM pg_temp.reference_fraud_window('country', 'KZ', at) AS w) AS replaced
           FROM generate_series(0, 59, 7) AS m,
                LATERAL (SELECT date_trunc('hour', now(), 'UTC') + make_interval(mins => m) AS at) AS t`,
      );
      expect(rows).toHaveLength(9);
      for (const row of rows)
        expect({ minute: row.minute, figures: row.inlined }).toEqual({
          minute: row.minute,
          figures: row.replaced,
        });
      expect(rows.some((row) => (row.inlined as { unverified_day: number }).unverified_day > 0)).toBe(true);
    } finally {
      await db.client.query('ROLLBACK');
    }
  });
});
