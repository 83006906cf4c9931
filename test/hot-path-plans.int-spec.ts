import { createHash, randomBytes } from 'node:crypto';
import { useTestDatabaseClient } from './support/test-database';

/**
 * How the hot-path SQL functions run, where the plan decides the cost: writers whose statements are planned once
 * per session (migration PlpgsqlWriters), and a refresh batch that looks its tokens up through the index rather
 * than reading the whole of refresh_tokens (migration RefreshBatchByIndex).
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
    const hash = (token: string) => createHash('sha256').update(token).digest('hex');
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
      [hash(live)],
    );
    await db.client.query('ANALYZE refresh_tokens');

    const request = (token: string) => ({
      token_hash: hash(token),
      new_token_hash: hash(randomBytes(16).toString('hex')),
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
});
