// Jest's moduleNameMapper does not reach global setup: resolve @app/* from tsconfig paths here.
import 'tsconfig-paths/register';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@app/database';
import { urlForDatabase, withAdminClient } from './admin-sql';
import { migrate } from './migrate';
import { startPgBouncer } from './pgbouncer';
import { freePort } from './server-process';
import { ADMIN_URL_VAR, TEMPLATE_DB_VAR } from './test-env';
import { POOLER_PORT_VAR, testPooler } from './test-pooler';

/**
 * Uses the Postgres of DATABASE_URL when set (CI), otherwise starts a private embedded one.
 * Migrates one template database; each test file clones it (CREATE DATABASE … TEMPLATE), which takes
 * a fraction of a second. With TEST_POOLER=pgbouncer it also starts a PgBouncer in transaction mode in front of
 * that Postgres, for the apps under test (test-pooler.ts).
 */
export default async function globalSetup(): Promise<void> {
  const pooler = testPooler();
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'sms-auth-pg-'));
    if (process.getuid?.() === 0) chmodSync(dir, 0o777);
    const embedded = await startEmbeddedPostgres({
      dir: join(dir, 'data'),
      port: await freePort(),
      persistent: false,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' },
    });
    (globalThis as Record<string, unknown>).__SMS_AUTH_EMBEDDED__ = { ...embedded, dir };
    adminUrl = embedded.adminUrl;
  }
  // Before the template: a PgBouncer that cannot start (not installed) leaves no database behind.
  if (pooler === 'pgbouncer') {
    const postgres = new URL(adminUrl);
    const pgbouncer = await startPgBouncer({
      postgresHost: postgres.hostname,
      postgresPort: Number(postgres.port || 5432),
    });
    (globalThis as Record<string, unknown>).__SMS_AUTH_PGBOUNCER__ = pgbouncer;
    process.env[POOLER_PORT_VAR] = String(pgbouncer.port);
  }
  const template = `sms_auth_template_${process.pid}`;
  await withAdminClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${template}`);
  });
  await migrate(urlForDatabase(adminUrl, template));
  process.env[ADMIN_URL_VAR] = adminUrl;
  process.env[TEMPLATE_DB_VAR] = template;
}
