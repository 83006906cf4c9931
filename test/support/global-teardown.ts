import { rmSync } from 'node:fs';
import { withAdminClient } from './admin-sql';
import type { PgBouncer } from './pgbouncer';
import { ADMIN_URL_VAR, TEMPLATE_DB_VAR } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const pooler = (globalThis as Record<string, unknown>).__SMS_AUTH_PGBOUNCER__ as PgBouncer | undefined;
  await pooler?.stop();
  const adminUrl = process.env[ADMIN_URL_VAR];
  const template = process.env[TEMPLATE_DB_VAR];
  if (adminUrl && template) {
    await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)).catch(
      () => undefined,
    );
  }
  const embedded = (globalThis as Record<string, unknown>).__SMS_AUTH_EMBEDDED__ as
    { stop(): Promise<void>; dir: string } | undefined;
  if (embedded) {
    await embedded.stop();
    rmSync(embedded.dir, { recursive: true, force: true });
  }
}
