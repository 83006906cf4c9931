import type { AddressInfo } from 'node:net';
import { DATA_RETENTION_QUEUE } from '@app/retention';
import { ADMIN_API_KEY, adminGet, AUDIT, STATS, VERIFICATIONS } from '../admin/admin-helpers';
import { urlForDatabase, withAdminClient } from '../support/admin-sql';
import { eventually } from '../support/eventually';
import { insertExpiredCode } from '../support/expired-code';
import { expectError, LOGOUT, ME, REFRESH, sendCode, verify } from '../support/http-helpers';
import { type PgBouncer, startPgBouncer } from '../support/pgbouncer';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { ADMIN_URL_VAR } from '../support/test-env';
import { MIGRATIONS } from '../../apps/api/src/database/schema';

/**
 * Issue 14, part 3: the service behind PgBouncer 1.18 (Debian's package) in transaction pooling mode, whatever
 * TEST_POOLER says. A PgBouncer of this file's own stands in front of the test Postgres with 3 server
 * connections for the app's client connections (its pool's 10 and pg-boss's 3): one client's transactions land
 * on any of them, so anything session-level (a session advisory lock, a named prepared statement, a SET outside
 * a transaction, LISTEN) would fail or leak into another client's work.
 */

const SERVER_CONNECTIONS = 3;

interface Reply {
  status: number;
  body: any;
}

/** Requests fired truly in parallel need a listening server (supertest's barely overlap). */
async function listen(t: TestApp): Promise<(path: string, body: unknown) => Promise<Reply>> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return async (path, body) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
}

function sharedPostgres(): { postgresHost: string; postgresPort: number } {
  const admin = new URL(process.env[ADMIN_URL_VAR]!);
  return { postgresHost: admin.hostname, postgresPort: Number(admin.port || 5432) };
}

describe('behind PgBouncer in transaction pooling mode (e2e)', () => {
  let pooler: PgBouncer;
  let database: TestDatabase;
  let t: TestApp;
  let post: (path: string, body: unknown) => Promise<Reply>;
  let oldCode: string;

  /** The rows of a console command about this file's database. */
  async function poolerRows(command: 'SHOW POOLS' | 'SHOW STATS' | 'SHOW CLIENTS' | 'SHOW SERVERS') {
    return (await pooler.console(command)).filter((row) => row.database === database.name);
  }

  beforeAll(async () => {
    pooler = await startPgBouncer({ ...sharedPostgres(), poolSize: SERVER_CONNECTIONS });
    database = await createTestDatabase();
    oldCode = await withAdminClient(database.url, (client) => insertExpiredCode(client, nextPhone(), 120));
    t = await createTestApp({
      database: { ...database, appUrl: pooler.urlFor(database.url) },
      // The retention job runs by itself through pg-boss a second after start.
      env: { ADMIN_API_KEY, RETENTION_FIRST_RUN_DELAY_SECONDS: '1' },
    });
    post = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
    // PgBouncer lets go of its server connections first: the database can then be dropped.
    await pooler?.stop();
    await database?.drop();
  });

  it('is ready, and its transactions go through PgBouncer in transaction mode', async () => {
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    expect((await sendCode(t, nextPhone())).status).toBe(200);

    expect(await poolerRows('SHOW POOLS')).toEqual([expect.objectContaining({ pool_mode: 'transaction' })]);
    const [stats] = await poolerRows('SHOW STATS');
    expect(Number(stats.total_xact_count)).toBeGreaterThan(0);
  });

  it("shares the 3 server connections among more of the app's client connections", async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => post('/api/v1/sms-auth/send-code', { phone_number: nextPhone() })),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200));
    // The app's pool keeps its connections for a while after the burst; PgBouncer never opened more servers.
    expect((await poolerRows('SHOW CLIENTS')).length).toBeGreaterThan(SERVER_CONNECTIONS);
    expect((await poolerRows('SHOW SERVERS')).length).toBeLessThanOrEqual(SERVER_CONNECTIONS);
  });

  it('send → verify → me → refresh → logout', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    const verified = await verify(t, phone, sent.body.debug_code);
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ phone_number: phone, is_new: true });

    const me = await t.http.get(ME).set('Authorization', `Bearer ${verified.body.access_token}`);
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(verified.body.user.id);

    const refreshed = await t.http.post(REFRESH).send({ refresh_token: verified.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(verified.body.refresh_token);

    expect((await t.http.post(LOGOUT).send({ refresh_token: refreshed.body.refresh_token })).status).toBe(200);
    expectError(await t.http.post(REFRESH).send({ refresh_token: refreshed.body.refresh_token }), 401, 'UNAUTHORIZED');
    expectError(
      await t.http.get(ME).set('Authorization', `Bearer ${refreshed.body.access_token}`),
      401,
      'UNAUTHORIZED',
    );
    const { rows } = await t.sql.query('SELECT revoked_reason FROM sessions WHERE user_id = $1', [
      verified.body.user.id,
    ]);
    expect(rows).toEqual([{ revoked_reason: 'logout' }]);
  });

  it('15 parallel sends for one phone: one 200, the rest RESEND_TOO_SOON, one pending code', async () => {
    const phone = nextPhone();
    const replies = await Promise.all(
      Array.from({ length: 15 }, () => post('/api/v1/sms-auth/send-code', { phone_number: phone })),
    );
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status !== 200).map((reply) => reply.body.error.code)).toEqual(
      Array(14).fill('RESEND_TOO_SOON'),
    );
    const { rows } = await t.sql.query<{ status: string }>(
      'SELECT status FROM sms_verifications WHERE phone_number = $1',
      [phone],
    );
    expect(rows).toEqual([{ status: 'pending' }]);
  });

  it('25 parallel verifies with the right code: exactly one login, the rest NO_ACTIVE_CODE', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    const replies = await Promise.all(
      Array.from({ length: 25 }, () =>
        post('/api/v1/sms-auth/verify-code', { phone_number: phone, code: sent.body.debug_code }),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    expect(winners).toHaveLength(1);
    expect(replies.filter((reply) => reply.status !== 200).map((reply) => reply.body.error.code)).toEqual(
      Array(24).fill('NO_ACTIVE_CODE'),
    );
    const { rows } = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.phone_number = $1',
      [phone],
    );
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('the admin stats, verifications and audit pages', async () => {
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);

    const stats = await adminGet(t, STATS).expect(200);
    expect(stats.body).toMatchObject({ success: true, group_by: 'day' });
    expect(stats.body.totals.requested).toBeGreaterThan(0);
    const verifications = await adminGet(t, VERIFICATIONS, { phone }).expect(200);
    expect(verifications.body.items.map((item: { id: string }) => item.id)).toEqual([sent.body.verification_id]);
    const audit = await adminGet(t, AUDIT, { phone }).expect(200);
    expect(audit.body.items.map((item: { type: string }) => item.type)).toEqual(
      expect.arrayContaining(['code_requested', 'code_sent']),
    );
  });

  it('the job queue (pg-boss) runs the retention job by itself, and it enqueues the next run', async () => {
    const codeExists = async () =>
      (await t.sql.query('SELECT 1 FROM sms_verifications WHERE id = $1', [oldCode])).rowCount === 1;
    await eventually(async () => !(await codeExists()), 'the retention job removed the old code', {
      attempts: 300,
      intervalMs: 100,
    });
    await eventually(async () => {
      const { rows } = await t.sql.query<{ due_tomorrow: boolean }>(
        `SELECT start_after > now() + interval '23 hours' AS due_tomorrow FROM pgboss.job
          WHERE name = $1 AND state IN ('created', 'retry')`,
        [DATA_RETENTION_QUEUE],
      );
      return rows.length === 1 && rows[0].due_tomorrow;
    }, 'the next run is due a day later');
    const { rows } = await t.sql.query<{ state: string }>(
      "SELECT state FROM pgboss.job WHERE name = $1 AND state IN ('failed', 'active')",
      [DATA_RETENTION_QUEUE],
    );
    expect(rows).toEqual([]);
  });
});

describe('migrations at boot, through PgBouncer (e2e)', () => {
  let pooler: PgBouncer;
  let name: string;
  let t: TestApp | undefined;

  beforeAll(async () => {
    pooler = await startPgBouncer(sharedPostgres());
    name = `sms_auth_empty_${process.pid}_${Date.now()}`;
    await withAdminClient(process.env[ADMIN_URL_VAR]!, (admin) => admin.query(`CREATE DATABASE ${name}`));
  });
  afterAll(async () => {
    await t?.close();
    await pooler?.stop();
    await withAdminClient(process.env[ADMIN_URL_VAR]!, (admin) =>
      admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    );
  });

  it('an empty database is migrated by the app starting on it, which then serves', async () => {
    const url = urlForDatabase(process.env[ADMIN_URL_VAR]!, name);
    t = await createTestApp({
      database: { url, appUrl: pooler.urlFor(url), name, drop: () => Promise.resolve() },
    });
    const { rows } = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
    expect(rows).toEqual([{ n: MIGRATIONS.length }]);
    expect((await t.http.get('/health/ready')).status).toBe(200);
    const phone = nextPhone();
    const sent = await sendCode(t, phone);
    expect(sent.status).toBe(200);
    expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
  });
});
