import { Logger } from '@nestjs/common';
import { AuditEventType, auditRow } from '@app/audit';
import type { SmsMetrics } from '@app/metrics';
import { DeliveryChannel, DeliveryStatus } from '@app/sms';
import {
  DEFAULT_SEND_RECORD_RETRY_POLICY,
  SendRecordWriter,
  type SendRecordRetryPolicy,
  sendRecordRetryDelayMs,
} from './send-record-writer';
import type { SendRecord, VerificationRepository } from './verification.repository';

const POLICY: SendRecordRetryPolicy = {
  firstDelayMs: 50,
  maxDelayMs: 2_000,
  giveUpAfterMs: 20_000,
  shutdownWaitMs: 1_000,
};
const PHONE = '+77001234567';
const MESSAGE_ID = 'vendor-msg-4711';
const NOW = new Date('2026-03-01T12:00:00.000Z');

/** The record of an accepted send, carrying values that must never reach a log line (phone, vendor id). */
function sentRecord(verificationId: string): SendRecord {
  const attempt = {
    provider: 'alpha',
    channel: DeliveryChannel.Sms,
    cost: null,
    messageId: MESSAGE_ID,
    status: DeliveryStatus.Sent,
    errorCode: null,
    errorMessage: null,
    startedAt: NOW,
    finishedAt: NOW,
  };
  return {
    kind: 'sent',
    verificationId,
    phoneNumber: PHONE,
    accepted: { provider: 'alpha', messageId: MESSAGE_ID, status: DeliveryStatus.Sent },
    attempts: [attempt],
    events: [
      auditRow({
        type: AuditEventType.CodeSent,
        outcome: 'success',
        phoneNumber: PHONE,
        verificationId,
        provider: 'alpha',
        details: { message_id: MESSAGE_ID },
      }),
    ],
  };
}

const RECORD = sentRecord('verification-1');

/** What the pool answers while the server is down: recognised by isDatabaseUnavailable; quotes values, as a driver may. */
function outage(): Error {
  return Object.assign(new Error(`connection refused while writing ${PHONE} ${MESSAGE_ID}`), { code: 'ECONNREFUSED' });
}

/** A failure the server reported for the statement (invalid_text_representation): it changed nothing. */
function statementError(): Error {
  return Object.assign(new Error(`invalid input syntax for type uuid: "${MESSAGE_ID}"`), {
    severity: 'ERROR',
    code: '22P02',
  });
}

interface Gate {
  promise: Promise<number>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A VerificationRepository whose recordSends refuses every statement (as during an outage) until `up` is set.
 * `hold()` makes the next statement wait until the test resolves or rejects it by hand.
 */
function createDatabase() {
  const calls: number[] = [];
  const gates: Gate[] = [];
  const db = {
    up: false,
    /** When each statement was sent (fake clock). */
    calls,
    recordSends: jest.fn((records: SendRecord[]): Promise<number> => {
      calls.push(Date.now());
      const gate = gates.shift();
      if (gate) return gate.promise;
      return db.up ? Promise.resolve(records.length) : Promise.reject(outage());
    }),
    hold(): Gate {
      let resolve!: (value: number) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const gate = { promise, resolve: () => resolve(0), reject };
      gates.push(gate);
      return gate;
    },
    /** The verification ids each statement carried, in order. */
    statements(): string[][] {
      return db.recordSends.mock.calls.map(([records]) => records.map((record) => record.verificationId));
    },
  };
  return db;
}

function createMetrics() {
  return { sendRecordRetried: jest.fn(), sendRecordsWaiting: jest.fn() };
}

function createWriter(db: ReturnType<typeof createDatabase>, metrics = createMetrics()): SendRecordWriter {
  const repository: Pick<VerificationRepository, 'recordSends'> = { recordSends: db.recordSends };
  return new SendRecordWriter(repository as VerificationRepository, metrics as unknown as SmsMetrics, POLICY);
}

/** A write's outcome as it stands: undefined while its promise is unsettled. */
function track(promise: Promise<'written' | 'deferred'>): { outcome?: 'written' | 'deferred' } {
  const state: { outcome?: 'written' | 'deferred' } = {};
  void promise.then((outcome) => (state.outcome = outcome));
  return state;
}

/** Lets every promise chain that can progress without a timer run to its end. */
async function drain(): Promise<void> {
  for (let tick = 0; tick < 20; tick++) await Promise.resolve();
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
    jest.useFakeTimers({ now: NOW });
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('writes once, inline, and retries nothing when the database takes the record', async () => {
    const db = createDatabase();
    db.up = true;
    const metrics = createMetrics();
    const writer = createWriter(db, metrics);

    await expect(writer.write(RECORD)).resolves.toBe('written');

    expect(db.recordSends).toHaveBeenCalledTimes(1);
    expect(db.recordSends).toHaveBeenCalledWith([RECORD]);
    expect(writer.pendingCount).toBe(0);
    expect(metrics.sendRecordRetried).not.toHaveBeenCalled();
    expect(metrics.sendRecordsWaiting).not.toHaveBeenCalled();
  });

  it('answers at once when refused, then retries the same record alone with backoff until the database is back', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = createWriter(db, metrics);
    const start = Date.now();

    await expect(writer.write(RECORD)).resolves.toBe('deferred');
    expect(writer.pendingCount).toBe(1);
    expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(1);

    await jest.advanceTimersByTimeAsync(50 + 100 + 200);
    expect(db.calls.map((at) => at - start)).toEqual([0, 50, 150, 350]);
    db.up = true;
    await jest.advanceTimersByTimeAsync(400);
    await writer.settled();

    expect(db.calls.map((at) => at - start)).toEqual([0, 50, 150, 350, 750]);
    for (const [records] of db.recordSends.mock.calls) expect(records).toEqual([RECORD]);
    expect(writer.pendingCount).toBe(0);
    expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(0);
    expect(metrics.sendRecordRetried.mock.calls).toEqual([['failed'], ['failed'], ['failed'], ['written']]);
    expect(error).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(1);
    expect(logLines(log)).toContain('verification-1');
  });

  it('gives up after the bound: no retry starts later, one LOST line, no values of the record or the error', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = createWriter(db, metrics);
    const start = Date.now();

    await writer.write(RECORD);
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
    expect(metrics.sendRecordRetried.mock.calls.filter(([outcome]) => outcome === 'abandoned')).toHaveLength(1);
    expect(metrics.sendRecordRetried).toHaveBeenLastCalledWith('abandoned');

    expect(error).toHaveBeenCalledTimes(1);
    const line = logLines(error);
    expect(line).toContain('verification-1');
    expect(line).toContain('sent record');
    expect(line).toContain('LOST');
    expect(line).toContain('ECONNREFUSED');
    expect(line).not.toContain(PHONE);
    expect(line).not.toContain(MESSAGE_ID);
    expect(log).not.toHaveBeenCalled();
  });

  it('at shutdown retries what is pending without backoff, and abandons it after the shutdown wait', async () => {
    const db = createDatabase();
    const writer = createWriter(db);
    await writer.write(RECORD);
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
    expect(logLines(error)).toContain('LOST');
  });

  it('at shutdown writes what is pending as soon as the database takes it', async () => {
    const db = createDatabase();
    const metrics = createMetrics();
    const writer = createWriter(db, metrics);
    await writer.write(RECORD);
    await jest.advanceTimersByTimeAsync(3_150);
    db.up = true;

    const shutdown = writer.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(POLICY.firstDelayMs);
    await shutdown;

    expect(metrics.sendRecordRetried).toHaveBeenLastCalledWith('written');
    expect(writer.pendingCount).toBe(0);
    expect(error).not.toHaveBeenCalled();
  });

  describe('group commit', () => {
    it('runs at most two statements at once; writes issued meanwhile go together in ONE next statement', async () => {
      const db = createDatabase();
      db.up = true;
      const writer = createWriter(db);
      const first = db.hold();
      const second = db.hold();

      const a = writer.write(sentRecord('A'));
      const b = writer.write(sentRecord('B'));
      const rest = ['C', 'D', 'E'].map((id) => writer.write(sentRecord(id)));
      await drain();
      expect(db.statements()).toEqual([['A'], ['B']]);

      first.resolve();
      await drain();
      expect(db.statements()).toEqual([['A'], ['B'], ['C', 'D', 'E']]);
      second.resolve();
      await expect(Promise.all([a, b, ...rest])).resolves.toEqual(Array(5).fill('written'));

      expect(db.recordSends).toHaveBeenCalledTimes(3);
      expect(db.recordSends.mock.calls[2][0]).toEqual([sentRecord('C'), sentRecord('D'), sentRecord('E')]);
      expect(writer.pendingCount).toBe(0);
    });

    it("settles each caller's promise only after the statement that carries its record resolved", async () => {
      const db = createDatabase();
      const writer = createWriter(db);
      const first = db.hold();
      const second = db.hold();
      const third = db.hold();

      const a = track(writer.write(sentRecord('A')));
      const b = track(writer.write(sentRecord('B')));
      const others = ['C', 'D', 'E'].map((id) => track(writer.write(sentRecord(id))));
      const outcomes = () => [a, b, ...others].map((state) => state.outcome);
      await drain();
      expect(outcomes()).toEqual([undefined, undefined, undefined, undefined, undefined]);

      first.resolve();
      await drain();
      expect(db.statements()).toEqual([['A'], ['B'], ['C', 'D', 'E']]);
      expect(outcomes()).toEqual(['written', undefined, undefined, undefined, undefined]);

      third.resolve();
      await drain();
      expect(outcomes()).toEqual(['written', undefined, 'written', 'written', 'written']);

      second.resolve();
      await drain();
      expect(outcomes()).toEqual(['written', 'written', 'written', 'written', 'written']);
      expect(db.recordSends).toHaveBeenCalledTimes(3);
    });

    it('carries at most 100 records per statement, each record once and in order', async () => {
      const db = createDatabase();
      db.up = true;
      const writer = createWriter(db);
      const first = db.hold();
      const second = db.hold();
      const ids = Array.from({ length: 252 }, (_, index) => `verification-${index}`);

      const writes = ids.map((id) => writer.write(sentRecord(id)));
      first.resolve();
      second.resolve();
      const outcomes = await Promise.all(writes);

      expect(outcomes.every((outcome) => outcome === 'written')).toBe(true);
      expect(db.statements().map((statement) => statement.length)).toEqual([1, 1, 100, 100, 50]);
      expect(db.statements().flat()).toEqual(ids);
    });

    it('defers every record of a statement refused by an outage, without a call per record', async () => {
      const db = createDatabase();
      const metrics = createMetrics();
      const writer = createWriter(db, metrics);
      const first = db.hold();
      const second = db.hold();
      const third = db.hold();

      const a = writer.write(sentRecord('A'));
      const b = writer.write(sentRecord('B'));
      const others = ['C', 'D', 'E'].map((id) => track(writer.write(sentRecord(id))));
      first.resolve();
      second.resolve();
      await expect(Promise.all([a, b])).resolves.toEqual(['written', 'written']);
      await drain();
      expect(db.statements()).toEqual([['A'], ['B'], ['C', 'D', 'E']]);
      expect(others.map((state) => state.outcome)).toEqual([undefined, undefined, undefined]);

      third.reject(outage());
      await drain();

      expect(others.map((state) => state.outcome)).toEqual(['deferred', 'deferred', 'deferred']);
      expect(db.recordSends).toHaveBeenCalledTimes(3);
      expect(writer.pendingCount).toBe(3);
      expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(3);

      // Back up: each deferred record is retried on its own.
      db.up = true;
      await jest.advanceTimersByTimeAsync(POLICY.firstDelayMs);
      await writer.settled();
      expect(db.statements().slice(3)).toEqual([['C'], ['D'], ['E']]);
      expect(writer.pendingCount).toBe(0);
      expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(0);
      expect(metrics.sendRecordRetried.mock.calls).toEqual([['written'], ['written'], ['written']]);
    });

    it('falls back to one statement per record when the server refuses a batch, and defers only the failing one', async () => {
      const db = createDatabase();
      db.up = true;
      const metrics = createMetrics();
      const writer = createWriter(db, metrics);
      db.recordSends.mockImplementation((records: SendRecord[]) =>
        records.some((record) => record.verificationId === 'D')
          ? Promise.reject(statementError())
          : Promise.resolve(records.length),
      );

      // A and B take the two statements in flight; C, D and E go together in the next one.
      const written = Promise.all([writer.write(sentRecord('A')), writer.write(sentRecord('B'))]);
      const others = Promise.all(['C', 'D', 'E'].map((id) => writer.write(sentRecord(id))));

      await expect(written).resolves.toEqual(['written', 'written']);
      await expect(others).resolves.toEqual(['written', 'deferred', 'written']);
      expect(db.statements()).toEqual([['A'], ['B'], ['C', 'D', 'E'], ['C'], ['D'], ['E']]);
      expect(writer.pendingCount).toBe(1);
      expect(metrics.sendRecordsWaiting).toHaveBeenLastCalledWith(1);

      // The server keeps refusing that record: it alone is retried, then abandoned, its SQLSTATE logged.
      await jest.advanceTimersByTimeAsync(POLICY.giveUpAfterMs + 10_000);
      await writer.settled();
      const retries = db.statements().slice(6);
      expect(retries.length).toBeGreaterThan(0);
      expect(retries.every((statement) => statement.length === 1 && statement[0] === 'D')).toBe(true);
      expect(error).toHaveBeenCalledTimes(1);
      const line = logLines(error);
      expect(line).toContain('verification D LOST');
      expect(line).toContain('22P02');
      expect(line).not.toContain(MESSAGE_ID);
      expect(line).not.toContain(PHONE);
    });

    it('defers a single record the server refuses, without a second call', async () => {
      const db = createDatabase();
      const writer = createWriter(db);
      db.recordSends.mockRejectedValueOnce(statementError());

      await expect(writer.write(RECORD)).resolves.toBe('deferred');

      expect(db.recordSends).toHaveBeenCalledTimes(1);
      expect(writer.pendingCount).toBe(1);
    });

    it.each([0, 1, 2, 3])(
      'writes a record issued %i ticks after the previous write settled (no write is left waiting)',
      async (ticks) => {
        const db = createDatabase();
        db.up = true;
        const writer = createWriter(db);
        let next: { outcome?: 'written' | 'deferred' } | undefined;
        void writer.write(sentRecord('A')).then(async () => {
          for (let tick = 0; tick < ticks; tick++) await Promise.resolve();
          next = track(writer.write(sentRecord('B')));
        });

        await drain();
        await writer.settled();

        expect(next?.outcome).toBe('written');
        expect(db.statements()).toEqual([['A'], ['B']]);
      },
    );
  });

  describe('settled()', () => {
    it('waits for the queued records and the statements in flight', async () => {
      const db = createDatabase();
      const writer = createWriter(db);
      const first = db.hold();
      const second = db.hold();
      const third = db.hold();
      for (const id of ['A', 'B', 'C']) void writer.write(sentRecord(id));
      let done = false;
      const settled = writer.settled().then(() => (done = true));

      await drain();
      expect(done).toBe(false);
      first.resolve();
      await drain();
      expect(db.statements()).toEqual([['A'], ['B'], ['C']]);
      expect(done).toBe(false);
      second.resolve();
      await drain();
      expect(done).toBe(false);
      third.resolve();
      await settled;
      expect(done).toBe(true);
    });

    it('waits for the pending records until they are written', async () => {
      const db = createDatabase();
      const writer = createWriter(db);
      await expect(writer.write(RECORD)).resolves.toBe('deferred');
      let done = false;
      const settled = writer.settled().then(() => (done = true));

      await jest.advanceTimersByTimeAsync(50 + 100);
      expect(done).toBe(false);
      db.up = true;
      await jest.advanceTimersByTimeAsync(200);
      await settled;

      expect(done).toBe(true);
      expect(writer.pendingCount).toBe(0);
      expect(db.recordSends).toHaveBeenCalledTimes(4);
    });

    it('resolves at once when nothing is queued or pending', async () => {
      const db = createDatabase();
      const writer = createWriter(db);
      await expect(writer.settled()).resolves.toBeUndefined();
      expect(db.recordSends).not.toHaveBeenCalled();
    });
  });
});
