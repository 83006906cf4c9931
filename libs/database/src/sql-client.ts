import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Errors of statements that never reached the server: the pool could not hand out a connection. */
const neverSent = new WeakSet<object>();

/**
 * SQLSTATEs of a session that ended under the statement: class 08 (connection exception) and 57P (the server
 * terminating the backend: shutdown, crash, database dropped).
 */
const SESSION_ENDED = /^(08|57P)/;

/**
 * A failure the server reported for the statement (an error with a severity): it failed and changed nothing.
 * Not when the session ended under it: a pooler such as PgBouncer reports a lost server connection with a
 * severity ("server conn crashed?", 08P01), Postgres a backend it terminated (57P01), and neither tells whether
 * the statement had committed first.
 */
export function reportedByServer(error: unknown): boolean {
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' && !(typeof code === 'string' && SESSION_ENDED.test(code));
}

/**
 * True when a failed statement may still have committed: it was sent, and no answer from the server says it
 * failed (the connection broke after sending it). A single statement commits on its own, so only then can
 * its effect exist without the caller knowing.
 */
export function mayHaveCommitted(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && neverSent.has(error)) return false;
  return !reportedByServer(error);
}

/**
 * Statements of the hot paths, straight on the pg pool TypeORM opened: one round trip each, without a query
 * runner, its logging and its result wrapping. Each statement runs (and commits) on its own.
 */
@Injectable()
export class SqlClient {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async query<Row>(text: string, values: unknown[]): Promise<Row[]> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error: unknown) {
      if (typeof error === 'object' && error !== null) neverSent.add(error);
      throw error;
    }
    try {
      const result = await client.query(text, values);
      client.release();
      return result.rows as Row[];
    } catch (error) {
      // After a statement error the connection is fine; after anything else it may be broken: drop it.
      client.release(reportedByServer(error) ? undefined : (error as Error));
      throw error;
    }
  }

  /** The first row; statements of this client that call a function always return exactly one. */
  async one<Row>(text: string, values: unknown[]): Promise<Row> {
    const [row] = await this.query<Row>(text, values);
    return row;
  }
}
