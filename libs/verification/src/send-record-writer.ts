import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SqlRunner, SqlStatement } from '@app/database';
import { SmsMetrics } from '@app/metrics';

/** How a send record the database refused is retried. */
export interface SendRecordRetryPolicy {
  /** Wait before the first retry; each further one doubles it. */
  firstDelayMs: number;
  /** The longest wait between two retries. */
  maxDelayMs: number;
  /** No retry starts later than this after the first failure: then the record is abandoned (and logged). */
  giveUpAfterMs: number;
  /** On shutdown, how long to keep retrying what is still pending before abandoning it. */
  shutdownWaitMs: number;
}

/** 50 ms doubling to 2 s, for up to 5 minutes (the default OTP_TTL_SECONDS); 5 s more at shutdown. */
export const DEFAULT_SEND_RECORD_RETRY_POLICY: SendRecordRetryPolicy = {
  firstDelayMs: 50,
  maxDelayMs: 2_000,
  giveUpAfterMs: 300_000,
  shutdownWaitMs: 5_000,
};

/** DI token of the policy (tests shorten it); DEFAULT_SEND_RECORD_RETRY_POLICY when absent. */
export const SEND_RECORD_RETRY_POLICY = Symbol('SEND_RECORD_RETRY_POLICY');

/** The wait before retry number `retry` (0 = the first): exponential, capped at `maxDelayMs`. */
export function sendRecordRetryDelayMs(policy: SendRecordRetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, retry));
}

/** What a record is, for logs and tests: never its values (phone numbers, vendor ids). */
export type SendRecordKind = 'sent' | 'send_failed' | 'reservation_voided';

export interface SendRecordLabel {
  verificationId: string;
  kind: SendRecordKind;
}

interface PendingRecord {
  statement: SqlStatement;
  label: SendRecordLabel;
  since: number;
  /** The last refusal, for the log line if the record is abandoned. */
  error: unknown;
}

/**
 * Writes the record of a send that already happened (or of one that did not), so that no database
 * failure loses it: the first try is inline; if the database refuses it, the statement is retried in
 * the background with exponential backoff until it is written or the policy's bound has passed, and the
 * caller answers meanwhile. Statements must be idempotent: a retry may follow a COMMIT whose reply was lost.
 *
 * The queue is in memory: records survive a database outage, not a crash of this process during one
 * (on an orderly shutdown the pending ones get `shutdownWaitMs` more).
 */
@Injectable()
export class SendRecordWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SendRecordWriter.name);
  /** The retries of the records waiting for the database, one per record. */
  private readonly running = new Set<Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly policy: SendRecordRetryPolicy;
  /** Set at shutdown: retries stop waiting their full backoff, and stop for good at the deadline. */
  private deadline: number | null = null;

  constructor(
    @InjectDataSource() private readonly runner: SqlRunner,
    private readonly metrics: SmsMetrics,
    @Optional() @Inject(SEND_RECORD_RETRY_POLICY) policy?: SendRecordRetryPolicy,
  ) {
    this.policy = policy ?? DEFAULT_SEND_RECORD_RETRY_POLICY;
  }

  /** Records waiting for the database. */
  get pendingCount(): number {
    return this.running.size;
  }

  /**
   * Runs the statement once; if that fails, keeps retrying it in the background. 'written' when the
   * first try succeeded, 'deferred' when it is pending (never throws).
   */
  async write(statement: SqlStatement, label: SendRecordLabel): Promise<'written' | 'deferred'> {
    try {
      await this.runner.query(...statement);
      return 'written';
    } catch (error) {
      // Past the shutdown deadline, retry() abandons it at once.
      const retrying = this.retry({ statement, label, since: Date.now(), error }).finally(() => {
        this.running.delete(retrying);
        this.metrics.sendRecordsWaiting(this.running.size);
      });
      this.running.add(retrying);
      this.metrics.sendRecordsWaiting(this.running.size);
      return 'deferred';
    }
  }

  /** Resolves once nothing is pending (written or abandoned). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Before the database connection closes: retry what is pending, without backoff, for `shutdownWaitMs` at most. */
  async beforeApplicationShutdown(): Promise<void> {
    this.deadline = Date.now() + this.policy.shutdownWaitMs;
    this.wakeAll();
    await this.settled();
  }

  private async retry(record: PendingRecord): Promise<void> {
    for (let retry = 0; ; retry++) {
      // At shutdown the backoff shrinks to its first step, until the deadline.
      const backoff = sendRecordRetryDelayMs(this.policy, retry);
      const delay = this.deadline === null ? backoff : Math.min(backoff, this.policy.firstDelayMs);
      const giveUpAt = Math.min(record.since + this.policy.giveUpAfterMs, this.deadline ?? Infinity);
      if (Date.now() + delay > giveUpAt) {
        this.abandon(record.label, retry, record.error);
        return;
      }
      await this.sleep(delay);
      try {
        await this.runner.query(...record.statement);
        this.metrics.sendRecordRetried('written');
        const { kind, verificationId } = record.label;
        this.logger.log(`${kind} record of verification ${verificationId} written after ${retry + 1} retries`);
        return;
      } catch (error) {
        record.error = error;
        this.metrics.sendRecordRetried('failed');
      }
    }
  }

  private abandon(label: SendRecordLabel, retries: number, error: unknown): void {
    this.metrics.sendRecordRetried('abandoned');
    // The error's class and SQLSTATE only: a driver message may quote the statement's values.
    const reason = error instanceof Error ? error.name : typeof error;
    const code = (error as { code?: unknown } | null)?.code;
    this.logger.error(
      `${label.kind} record of verification ${label.verificationId} LOST: the database refused it ` +
        `${retries + 1} times (${reason}${typeof code === 'string' ? ` ${code}` : ''})`,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
    });
  }

  private wakeAll(): void {
    for (const sleeper of [...this.sleepers]) sleeper.wake();
  }
}
