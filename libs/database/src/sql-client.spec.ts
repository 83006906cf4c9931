import type { DataSource } from 'typeorm';
import { mayHaveCommitted, reportedByServer, SqlClient } from './sql-client';

/** An error as pg raises it for an ErrorResponse (pg's DatabaseError carries these fields). */
function serverError(message: string, severity: string, code: string): Error {
  return Object.assign(new Error(message), { severity, code });
}

const uniqueViolation = () => serverError('duplicate key value violates unique constraint', 'ERROR', '23505');
/** What PgBouncer sends its client when the server connection under a statement is lost. */
const poolerLostServer = () => serverError('server conn crashed?', 'FATAL', '08P01');
/** What pg raises when the socket closes under a statement (no ErrorResponse at all). */
const socketClosed = () => new Error('Connection terminated unexpectedly');

/** A SqlClient on a pool whose one client answers `query` with `outcome`. */
function clientAnswering(outcome: () => Promise<unknown>) {
  const release = jest.fn();
  const connect = jest.fn(() => Promise.resolve({ query: jest.fn(outcome), release }));
  const dataSource = { driver: { master: { connect } } } as unknown as DataSource;
  return { sql: new SqlClient(dataSource), release };
}

describe('which failed statements may have committed', () => {
  it('a statement error the server reported: it failed and changed nothing', () => {
    expect(reportedByServer(uniqueViolation())).toBe(true);
    expect(mayHaveCommitted(uniqueViolation())).toBe(false);
  });

  it('a connection exception (class 08) a pooler reported with a severity: the outcome is unknown', () => {
    expect(reportedByServer(poolerLostServer())).toBe(false);
    expect(mayHaveCommitted(poolerLostServer())).toBe(true);
    expect(mayHaveCommitted(serverError('connection failure', 'FATAL', '08006'))).toBe(true);
  });

  it('a backend the server terminated under the statement (class 57P): the outcome is unknown', () => {
    const terminated = serverError('terminating connection due to administrator command', 'FATAL', '57P01');
    expect(reportedByServer(terminated)).toBe(false);
    expect(mayHaveCommitted(terminated)).toBe(true);
    // A statement the server canceled (statement_timeout) failed inside its transaction: nothing committed.
    expect(mayHaveCommitted(serverError('canceling statement due to statement timeout', 'ERROR', '57014'))).toBe(false);
  });

  it('the connection broke with no answer: the outcome is unknown', () => {
    expect(reportedByServer(socketClosed())).toBe(false);
    expect(mayHaveCommitted(socketClosed())).toBe(true);
  });

  it('no connection could be had: the statement was never sent', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const dataSource = { driver: { master: { connect: () => Promise.reject(refused) } } } as unknown as DataSource;
    await expect(new SqlClient(dataSource).query('SELECT 1', [])).rejects.toBe(refused);
    expect(mayHaveCommitted(refused)).toBe(false);
  });
});

describe('SqlClient: the connection after a failed statement', () => {
  it('is kept after a statement error', async () => {
    const error = uniqueViolation();
    const { sql, release } = clientAnswering(() => Promise.reject(error));
    await expect(sql.query('INSERT …', [])).rejects.toBe(error);
    expect(release).toHaveBeenCalledWith(undefined);
  });

  it('is dropped after a connection exception from the pooler', async () => {
    const error = poolerLostServer();
    const { sql, release } = clientAnswering(() => Promise.reject(error));
    await expect(sql.query('INSERT …', [])).rejects.toBe(error);
    expect(release).toHaveBeenCalledWith(error);
    expect(mayHaveCommitted(error)).toBe(true);
  });

  it('is dropped after the socket closed', async () => {
    const error = socketClosed();
    const { sql, release } = clientAnswering(() => Promise.reject(error));
    await expect(sql.query('INSERT …', [])).rejects.toBe(error);
    expect(release).toHaveBeenCalledWith(error);
  });

  it('is released as it is after a success, with the rows', async () => {
    const { sql, release } = clientAnswering(() => Promise.resolve({ rows: [{ one: 1 }] }));
    await expect(sql.query('SELECT 1 AS one', [])).resolves.toEqual([{ one: 1 }]);
    expect(release).toHaveBeenCalledWith();
  });
});
