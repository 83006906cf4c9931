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

function withoutPassword(text: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return text;
  }
  if (!password) return text;
  let result = text;
  for (const form of new Set([password, decodeURIComponent(password)])) result = result.split(form).join('***');
  return result;
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
      : withoutPassword(describeDatabaseFailure(error), url);
    throw new DatabaseUnreachableError(
      `cannot connect to the database at ${databaseAddress(url)} (DATABASE_URL): ${reason}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
