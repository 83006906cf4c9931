import { Client } from 'pg';
import { pgbouncerConsole } from '../support/pgbouncer';
import { createTestDatabase } from '../support/test-database';
import { globalPoolerPort, testPooler } from '../support/test-pooler';

/** The second pass (TEST_POOLER=pgbouncer) must really put PgBouncer between the apps and Postgres. */
describe('TEST_POOLER', () => {
  it('pgbouncer: apps get their database through the global PgBouncer; otherwise directly', async () => {
    const database = await createTestDatabase();
    try {
      if (testPooler() === 'none') {
        expect(globalPoolerPort()).toBeUndefined();
        expect(database.appUrl).toBe(database.url);
        return;
      }
      const port = globalPoolerPort();
      expect(port).toEqual(expect.any(Number));
      expect(new URL(database.appUrl).port).toBe(String(port));
      const client = new Client({ connectionString: database.appUrl });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      expect(await pgbouncerConsole(port!, 'SHOW POOLS')).toContainEqual(
        expect.objectContaining({ database: database.name, pool_mode: 'transaction' }),
      );
    } finally {
      await database.drop();
    }
  });
});
