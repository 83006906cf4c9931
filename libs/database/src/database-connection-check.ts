import { maskSecrets } from '@app/common';
import { Client } from 'pg';
import { DATABASE_CONNECT_TIMEOUT_MS, describeDatabaseFailure } from './database-unavailable';

/** The database named by DATABASE_URL cannot be reached at boot; the message is one line, without secrets. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

/** `host:port` of a postgres:// URL (never its user or password). */
function databaseAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'an unparsable DATABASE_URL';
  }
}

/** The URL's password as written (percent-encoded) and decoded, for masking; [] when there is none. */
function passwordForms(url: string): string[] {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return [];
  }
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password]; // a malformed %-escape: only the form as written can appear
  }
}

/**
 * Opens and closes one connection to `url`, so that a service whose database is unreachable stops at once
 * with one line naming the server and the failure (instead of TypeORM's retries with their stacks).
 */
export async function checkDatabaseConnection(url: string, timeoutMs = DATABASE_CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  const started = Date.now();
  try {
    await client.connect();
  } catch (error) {
    // pg reports its own connect timeout as "Connection terminated unexpectedly".
    const timedOut = Date.now() - started >= timeoutMs;
    const reason = timedOut
      ? `no answer within ${timeoutMs} ms (connect timeout)`
      : maskSecrets(describeDatabaseFailure(error), passwordForms(url));
    throw new DatabaseUnreachableError(
      `cannot connect to the database at ${databaseAddress(url)} (DATABASE_URL): ${reason}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
