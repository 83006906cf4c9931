import { Pool } from 'pg';
import { DATA_RETENTION_QUEUE } from '@app/retention';
import { eventually } from '../support/eventually';
import { insertExpiredCode } from '../support/expired-code';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** The retention job on the job queue: it runs by itself shortly after start, then is due again a day later. */

const DAY_MS = 86_400_000;

describe('the data retention job', () => {
  let database: TestDatabase;
  let seed: Pool;
  let t: TestApp;
  let oldCode: string;
  let recentCode: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    seed = new Pool({ connectionString: database.url, max: 1 });
    // Pool.end() does not wait for its connections to close: the DROP DATABASE … WITH (FORCE) after the file can
    // end one under it, and its 57P01 is expected (as in test-app.ts).
    seed.on('error', () => undefined);
    oldCode = await insertExpiredCode(seed, '+77015550001', 120);
    recentCode = await insertExpiredCode(seed, '+77015550002', 10);
    // An event of a month long gone: it waits in the default partition for its month's partition, then goes with it.
    await seed.query(
      `INSERT INTO audit_events (occurred_at, type, outcome, details) VALUES ($1, 'code_requested', 'success', '{}')`,
      [new Date(Date.now() - 600 * DAY_MS)],
    );
    t = await createTestApp({ database, env: { RETENTION_FIRST_RUN_DELAY_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t?.close();
    await seed?.end();
    await database?.drop();
  });

  it('runs once by itself after start, and the next run is due a day later', async () => {
    const dropped = async () => {
      const { rows } = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE type = 'audit_partition_dropped'",
      );
      return rows[0].n;
    };
    const codeExists = async (id: string) =>
      (await t.sql.query('SELECT 1 FROM sms_verifications WHERE id = $1', [id])).rowCount === 1;
    await eventually(async () => (await dropped()) === 1 && !(await codeExists(oldCode)), 'the retention job ran', {
      attempts: 300,
      intervalMs: 100,
    });

    expect(await codeExists(recentCode)).toBe(true);
    const { rows: deliveries } = await t.sql.query<{ verification_id: string }>(
      'SELECT verification_id FROM sms_deliveries',
    );
    expect(deliveries).toEqual([{ verification_id: recentCode }]);
    // The run's last step done, the next run waits for tomorrow, alone in the queue.
    await eventually(async () => {
      const { rows } = await t.sql.query<{ state: string }>('SELECT state FROM pgboss.job WHERE name = $1', [
        DATA_RETENTION_QUEUE,
      ]);
      return rows.every((row) => row.state !== 'active');
    }, 'the first run to complete');
    const { rows: waiting } = await t.sql.query<{ due_tomorrow: boolean }>(
      `SELECT start_after > now() + interval '23 hours' AS due_tomorrow FROM pgboss.job
        WHERE name = $1 AND state IN ('created', 'retry')`,
      [DATA_RETENTION_QUEUE],
    );
    expect(waiting).toEqual([{ due_tomorrow: true }]);
    expect(await dropped()).toBe(1);

    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^sms_auth_retention_removed_rows_total\{table="sms_verifications"\} 1$/m);
    expect(metrics.text).toMatch(/^sms_auth_retention_removed_rows_total\{table="audit_events"\} 1$/m);
  });
});
