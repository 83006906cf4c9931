import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseAvailability, describeDatabaseFailure, isDatabaseUnavailable } from './database-unavailable';

const withCode = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['EPIPE', withCode('EPIPE')],
    ['57P01 admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', withCode('57P02')],
    ['57P03 cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['08006 connection_failure', withCode('08006')],
    ['08P01 protocol_violation', withCode('08P01')],
    ['Connection terminated', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    [
      'an AggregateError of IPv4 and IPv6 refusals',
      Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {
        code: 'ECONNREFUSED',
      }),
    ],
    ['a QueryFailedError around 57P01', new QueryFailedError('SELECT 1', [], withCode('57P01'))],
    ['an error whose cause is ECONNRESET', new Error('query failed', { cause: withCode('ECONNRESET') })],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('23505', 'duplicate key value'))],
    ['a syntax error', withCode('42601', 'syntax error at or near "SELEC"')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['an SMS vendor refusing the connection', Object.assign(withCode('ECONNREFUSED'), { isAxiosError: true })],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe(describeDatabaseFailure.name, () => {
  it('gives the first message with its code', () => {
    expect(describeDatabaseFailure(withCode('57P03', 'the database system is starting up'))).toBe(
      'the database system is starting up (57P03)',
    );
    expect(describeDatabaseFailure(withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('looks inside an AggregateError without a message', () => {
    const error = Object.assign(new AggregateError([withCode('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(describeDatabaseFailure(error)).toBe('connect ECONNREFUSED ::1:5432');
  });
});

describe(DatabaseAvailability.name, () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  const down = withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');

  beforeEach(() => {
    jest.useFakeTimers();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('warns once per outage and logs once when a probe succeeds again', async () => {
    const query = jest.fn().mockRejectedValue(down);
    const sut = new DatabaseAvailability({ query }, 1000);

    expect(sut.reportFailure(down)).toBe(true);
    expect(sut.reportFailure(down)).toBe(true);
    expect(sut.reportFailure(withCode('57P03'))).toBe(true);
    expect(warn.mock.calls).toEqual([['database unavailable: connect ECONNREFUSED 127.0.0.1:5432']]);
    expect(sut.available).toBe(false);

    await jest.advanceTimersByTimeAsync(3000);
    expect(query).toHaveBeenCalledTimes(3);
    expect(log).not.toHaveBeenCalled();

    query.mockResolvedValue([{ '?column?': 1 }]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sut.available).toBe(true);
    expect(log.mock.calls).toEqual([[expect.stringMatching(/^database available again/)]]);

    // Recovered: no more probes, and the next outage is reported again.
    await jest.advanceTimersByTimeAsync(5000);
    expect(query).toHaveBeenCalledTimes(4);
    sut.reportFailure(down);
    expect(warn).toHaveBeenCalledTimes(2);
    sut.stop();
  });

  it('ignores errors that are not connection failures', () => {
    const query = jest.fn();
    const sut = new DatabaseAvailability({ query });
    expect(sut.reportFailure(withCode('23505'))).toBe(false);
    expect(sut.available).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('stops probing when stopped', async () => {
    const query = jest.fn().mockRejectedValue(down);
    const sut = new DatabaseAvailability({ query }, 1000);
    sut.reportFailure(down);
    sut.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(query).not.toHaveBeenCalled();
  });
});
