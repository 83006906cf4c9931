import { Logger } from '@nestjs/common';
import type { SqlStatement } from '@app/database';
import type { SmsMetrics } from '@app/metrics';
import {
  DEFAULT_SEND_RECORD_RETRY_POLICY,
  SendRecordWriter,
  type SendRecordRetryPolicy,
  sendRecordRetryDelayMs,
} from './send-record-writer';

const POLICY: SendRecordRetryPolicy = {
  firstDelayMs: 50,
  maxDelayMs: 2_000,
  giveUpAfterMs: 20_000,
  shutdownWaitMs: 1_000,
};
const PHONE = '+77001234567';
const MESSAGE_ID = 'vendor-msg-4711';
const STATEMENT: SqlStatement = ['WITH once AS (UPDATE …) SELECT 1', ['verification-1', PHONE, MESSAGE_ID]];
const LABEL = { verificationId: 'verification-1', kind: 'sent' as const };

/** A database that refuses every statement (quoting its values, as a driver may) until `up` is set. */
function createDatabase() {
  const calls: number[] = [];
  const db = {
    up: false,
    calls,
    query: jest.fn(() => {
      calls.push(Date.now());
      if (db.up) return Promise.resolve([]);
      const error = Object.assign(new Error(`connection refused while writing ${PHONE} ${MESSAGE_ID}`), {
        code: 'ECONNREFUSED',
      });
      return Promise.reject(error);
    }),
  };
  return db;
}

function createMetrics() {
  return { sendRecordRetried: jest.fn(), sendRecordsWaiting: jest.fn() };
}

function logLines(spy: jest.SpyInstance): string {
  return spy.mock.calls.map((call: unknown[]) => call.map(String).join(' ')).join('\n');
}

describe('send record retry policy', () => {
  it('doubles from the first delay and stays at the cap', () => {
    const delays = Array.from({ length: 9 }, (_, retry) => sendRecordRetryDelayMs(POLICY, retry));
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  it('defaults to 50 ms doubling to 2 s, bounded (5 minutes), with a bounded wait at shutdown', () => {
    expect(DEFAULT_SEND_RECORD_RETRY_POLICY).toEqual({
      firstDelayMs: 50,
      maxDelayMs: 2_000,
      giveUpAfterMs: 300_000,
      shutdownWaitMs: 5_000,
    });
  });
});

describe(SendRecordWriter.name, () => {
  let error: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-03-01T12:00:00.000Z') });
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('writes once and retries nothing when the database takes the statement', async () => {
    const db = createDatabase();
    db.up = true;
    const metrics = createMetrics();
    const writer = new SendRecordWriter(db, metrics as unknown as SmsMetrics, POLICY);

    await expect(writer.write(STATEMENT, LABEL)).resolves.toBe('written');

    expect(db.query).toHaveBeenCalledTimes(1);
    expect(db.query).toHaveBeenCalledWith(...STATEMENT);
    expect(writer.pendingCount).toBe(0);
    expect(metrics.sendRecordRetried).not.toHaveBeenCalled();
  });

  it('answers at once when refused, then retries the same statement with backoff until the database is back', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = new SendRecordWriter(db, metrics as unknown as SmsMetrics, POLICY);
    const start = Date.now();

    await expect(writer.write(STATEMENT, LABEL)).resolves.toBe('deferred');
    expect(writer.pendingCount).toBe(1);
    expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(1);

    await jest.advanceTimersByTimeAsync(50 + 100 + 200);
    expect(db.calls.map((at) => at - start)).toEqual([0, 50, 150, 350]);
    db.up = true;
    await jest.advanceTimersByTimeAsync(400);
    await writer.settled();

    expect(db.calls.map((at) => at - start)).toEqual([0, 50, 150, 350, 750]);
    for (const call of db.query.mock.calls) expect(call).toEqual(STATEMENT);
    expect(writer.pendingCount).toBe(0);
    expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(0);
    expect(metrics.sendRecordRetried.mock.calls).toEqual([['failed'], ['failed'], ['failed'], ['written']]);
    expect(error).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('gives up after the bound: no retry starts later, one error line, no values of the statement', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = new SendRecordWriter(db, metrics as unknown as SmsMetrics, POLICY);
    const start = Date.now();

    await writer.write(STATEMENT, LABEL);
    await jest.advanceTimersByTimeAsync(POLICY.giveUpAfterMs + 10_000);
    await writer.settled();
    const attempts = db.calls.length;
    await jest.advanceTimersByTimeAsync(60_000);

    expect(db.calls).toHaveLength(attempts);
    expect(Math.max(...db.calls) - start).toBeLessThanOrEqual(POLICY.giveUpAfterMs);
    const gaps = db.calls.slice(1).map((at, index) => at - db.calls[index]);
    expect(gaps).toEqual(gaps.map((_, retry) => sendRecordRetryDelayMs(POLICY, retry)));
    // 50…1600 ms (3.15 s), then every 2 s until the 20 s bound.
    expect(attempts).toBe(1 + 6 + Math.floor((POLICY.giveUpAfterMs - 3_150) / 2_000));
    expect(writer.pendingCount).toBe(0);
    expect(metrics.sendRecordRetried).toHaveBeenCalledWith('abandoned');
    expect(metrics.sendRecordRetried.mock.calls.filter(([outcome]) => outcome === 'abandoned')).toHaveLength(1);

    expect(error).toHaveBeenCalledTimes(1);
    const line = logLines(error);
    expect(line).toContain('verification-1');
    expect(line).toContain('sent record');
    expect(line).toContain('ECONNREFUSED');
    expect(line).not.toContain(PHONE);
    expect(line).not.toContain(MESSAGE_ID);
    expect(log).not.toHaveBeenCalled();
  });

  it('at shutdown retries what is pending without backoff, and abandons it after the shutdown wait', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = new SendRecordWriter(db, metrics as unknown as SmsMetrics, POLICY);
    await writer.write(STATEMENT, LABEL);
    await jest.advanceTimersByTimeAsync(3_150); // the backoff has grown to 2 s
    const before = db.calls.length;
    const shutdownAt = Date.now();

    const shutdown = writer.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(POLICY.shutdownWaitMs + 100);
    await shutdown;

    const during = db.calls.slice(before);
    expect(during.length).toBeGreaterThanOrEqual(POLICY.shutdownWaitMs / POLICY.firstDelayMs - 1);
    expect(Math.max(...during) - shutdownAt).toBeLessThanOrEqual(POLICY.shutdownWaitMs);
    expect(writer.pendingCount).toBe(0);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('at shutdown writes what is pending as soon as the database takes it', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = new SendRecordWriter(db, metrics as unknown as SmsMetrics, POLICY);
    await writer.write(STATEMENT, LABEL);
    await jest.advanceTimersByTimeAsync(3_150);
    db.up = true;

    const shutdown = writer.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(POLICY.firstDelayMs);
    await shutdown;

    expect(metrics.sendRecordRetried).toHaveBeenLastCalledWith('written');
    expect(error).not.toHaveBeenCalled();
  });
});
