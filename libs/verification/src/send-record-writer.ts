import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { StatementCoalescer } from '@app/database';
import { SmsMetrics } from '@app/metrics';
import { type SendRecord, VerificationRepository } from './verification.repository';

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
export type SendRecordKind = SendRecord['kind'];

interface PendingRecord {
  record: SendRecord;
  since: number;
  /** The last refusal, for the log line if the record is abandoned. */
  error: unknown;
}

/**
 * Writes the record of a send that already happened (or of one that did not), so that no database
 * failure loses it.
 *
 * Group commit: records of concurrent requests go to the database together, one statement and one commit for
 * all that arrived while the previous statement ran; each caller's promise settles when the statement that
 * carries its record has committed, so nothing is answered before it is durable.
 *
 * If the database refuses a record, it is retried in the background with exponential backoff until it is
 * written or the policy's bound has passed, and the caller answers meanwhile. Records apply at most once
 * (sms_auth_record_sends), so a retry may follow a COMMIT whose reply was lost.
 *
 * The retry queue is in memory: records survive a database outage, not a crash of this process during one
 * (on an orderly shutdown the pending ones get `shutdownWaitMs` more).
 */
@Injectable()
export class SendRecordWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SendRecordWriter.name);
  /** The records of concurrent sends, written together. */
  private readonly statements: StatementCoalescer<SendRecord, number>;
  /** Writes not yet settled (their statement runs or waits). */
  private readonly writing = new Set<Promise<unknown>>();
  /** The retries of the records the database refused, one per record. */
  private readonly running = new Set<Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly policy: SendRecordRetryPolicy;
  /** Set at shutdown: retries stop waiting their full backoff, and stop for good at the deadline. */
  private deadline: number | null = null;

  constructor(
    private readonly verifications: VerificationRepository,
    private readonly metrics: SmsMetrics,
    @Optional() @Inject(SEND_RECORD_RETRY_POLICY) policy?: SendRecordRetryPolicy,
  ) {
    this.policy = policy ?? DEFAULT_SEND_RECORD_RETRY_POLICY;
    this.statements = new StatementCoalescer(async (records) => {
      await this.verifications.recordSends(records);
      return records.map(() => 1);
    });
  }

  /** Records the database refused, waiting for a retry. */
  get pendingCount(): number {
    return this.running.size;
  }

  /**
   * Writes the record with those of concurrent callers; if the database refuses it, keeps retrying it in the
   * background. 'written' once committed, 'deferred' when it is pending (never throws).
   */
  async write(record: SendRecord): Promise<'written' | 'deferred'> {
    const writing = this.statements.submit(record);
    this.writing.add(writing);
    try {
      await writing;
      return 'written';
    } catch (error) {
      this.defer(record, error);
      return 'deferred';
    } finally {
      this.writing.delete(writing);
    }
  }

  /** Resolves once nothing is being written or pending (written or abandoned). */
  async settled(): Promise<void> {
    while (this.writing.size > 0 || this.running.size > 0) await Promise.allSettled([...this.writing, ...this.running]);
  }

  /** Before the database connection closes: retry what is pending, without backoff, for `shutdownWaitMs` at most. */
  async beforeApplicationShutdown(): Promise<void> {
    this.deadline = Date.now() + this.policy.shutdownWaitMs;
    this.wakeAll();
    await this.settled();
  }

  private defer(record: SendRecord, error: unknown): void {
    // Past the shutdown deadline, retry() abandons it at once.
    const retrying = this.retry({ record, since: Date.now(), error }).finally(() => {
      this.running.delete(retrying);
      this.metrics.sendRecordsWaiting(this.running.size);
    });
    this.running.add(retrying);
    this.metrics.sendRecordsWaiting(this.running.size);
  }

  private async retry(record: PendingRecord): Promise<void> {
    for (let retry = 0; ; retry++) {
      // At shutdown the backoff shrinks to its first step, until the deadline.
      const backoff = sendRecordRetryDelayMs(this.policy, retry);
      const delay = this.deadline === null ? backoff : Math.min(backoff, this.policy.firstDelayMs);
      const giveUpAt = Math.min(record.since + this.policy.giveUpAfterMs, this.deadline ?? Infinity);
      if (Date.now() + delay > giveUpAt) {
        this.abandon(record.record, retry, record.error);
        return;
      }
      await this.sleep(delay);
      try {
        await this.verifications.recordSends([record.record]);
        this.metrics.sendRecordRetried('written');
        const { kind, verificationId } = record.record;
        this.logger.log(`${kind} record of verification ${verificationId} written after ${retry + 1} retries`);
        return;
      } catch (error) {
        record.error = error;
        this.metrics.sendRecordRetried('failed');
      }
    }
  }

  private abandon(label: Pick<SendRecord, 'kind' | 'verificationId'>, retries: number, error: unknown): void {
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
