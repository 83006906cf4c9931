import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { urlForDatabase, withAdminClient } from './admin-sql';
import { ADMIN_URL_VAR, TEMPLATE_DB_VAR } from './test-env';
import { appUrlFor, releasePooledConnections } from './test-pooler';

export interface TestDatabase {
  /** Direct to Postgres: for the test's own SQL (arranging rows, checking them, killing backends). */
  url: string;
  /** What the apps under test get as DATABASE_URL: through PgBouncer when the suite runs behind it. */
  appUrl: string;
  name: string;
  drop(): Promise<void>;
}

/** A private, migrated database cloned from the template the global setup prepared. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[ADMIN_URL_VAR];
  const template = process.env[TEMPLATE_DB_VAR];
  if (!adminUrl || !template)
    throw new Error('integration tests need the global setup (run them with jest, project "integration")');
  const name = `sms_auth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // Two workers cloning the template at the same instant can collide; the clone is cheap to retry.
        if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  const url = urlForDatabase(adminUrl, name);
  const appUrl = appUrlFor(url);
  return {
    url,
    appUrl,
    name,
    drop: async () => {
      await releasePooledConnections(appUrl);
      await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * A private database and a client connected to it, for the tests of the enclosing describe block (its hooks
 * create and drop them): read `client` inside the tests, not before.
 */
export function useTestDatabaseClient(): { readonly database: TestDatabase; readonly client: Client } {
  const context = {} as { database: TestDatabase; client: Client };
  beforeAll(async () => {
    context.database = await createTestDatabase();
    context.client = new Client({ connectionString: context.database.url });
    await context.client.connect();
  });
  afterAll(async () => {
    await context.client?.end();
    await context.database?.drop();
  });
  return context;
}
