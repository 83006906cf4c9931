import { pgbouncerConsole, throughPgBouncer } from './pgbouncer';

/**
 * TEST_POOLER=pgbouncer (`npm run test:pgbouncer`): the apps under test reach Postgres through a PgBouncer in
 * transaction pooling mode, which the global setup starts in front of the test Postgres. Whatever a test does
 * to arrange or check rows, and the admin work (CREATE/DROP DATABASE), stays direct.
 */
export type TestPooler = 'none' | 'pgbouncer';

/** The port of the global setup's PgBouncer, for the test workers. */
export const POOLER_PORT_VAR = 'SMS_AUTH_TEST_POOLER_PORT';

export function testPooler(): TestPooler {
  const value = process.env.TEST_POOLER || 'none';
  if (value !== 'none' && value !== 'pgbouncer')
    throw new Error(`TEST_POOLER must be pgbouncer or none, not ${JSON.stringify(value)}`);
  return value;
}

/** The port of the global setup's PgBouncer, when the suite runs behind one. */
export function globalPoolerPort(): number | undefined {
  const port = process.env[POOLER_PORT_VAR];
  return port ? Number(port) : undefined;
}

/**
 * The URL the apps under test get for a database of the test Postgres: through the global PgBouncer when the
 * suite runs behind one, else `directUrl` itself.
 */
export function appUrlFor(directUrl: string): string {
  const port = globalPoolerPort();
  return port === undefined ? directUrl : throughPgBouncer(directUrl, port);
}

/**
 * Has the global PgBouncer close its server connections to the database of `appUrl` (idle ones within a
 * second, busy ones when released): without it they would outlive the apps that used them, as a pooler's do, while tests
 * expect a closed app's backends to end and drop databases behind it. Nothing to do for other URLs.
 */
export async function releasePooledConnections(appUrl: string): Promise<void> {
  const port = globalPoolerPort();
  const url = new URL(appUrl);
  if (port === undefined || Number(url.port) !== port) return;
  const database = decodeURIComponent(url.pathname.slice(1));
  // The console takes no parameters; the per-file database names are plain identifiers.
  if (!/^\w+$/.test(database)) throw new Error(`unexpected database name ${JSON.stringify(database)}`);
  await pgbouncerConsole(port, `RECONNECT ${database}`);
}
