import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { JobQueue } from '@app/jobs';
import { SmsMetrics } from '@app/metrics';
import { type AuditPartitionReport, AuditPartitionRetention } from './audit-partition-retention.service';
import { type FraudGuardPruningReport, FraudGuardPruning } from './fraud-guard-pruning.service';
import { SmsCodeRetention, type SmsCodeRetentionReport } from './sms-code-retention.service';

export const DATA_RETENTION_QUEUE = 'data-retention';

const DAY_SECONDS = 86_400;
/** After a run that failed a step or ran out of time, the next one comes sooner. */
const UNFINISHED_RETRY_SECONDS = 3_600;
/** A run stops starting batches after this long (the rest waits for the next run), well before its job expires. */
const RUN_BUDGET_MS = 30 * 60_000;
const JOB_EXPIRY_SECONDS = 3_600;

export interface DataRetentionReport {
  auditPartitions?: AuditPartitionReport;
  smsCodes?: SmsCodeRetentionReport;
  fraudGuard?: FraudGuardPruningReport;
  /** The steps that threw (each is logged); the others ran. */
  failed: string[];
  /** Every step ran to its end. */
  complete: boolean;
}

/**
 * Data retention as a recurring pg-boss job (queue `data-retention`, policy `stately`: one run at a time across
 * all instances, never on a request's path). Every instance seeds a run RETENTION_FIRST_RUN_DELAY_SECONDS after
 * it starts, dropped while one is already waiting, so a deployment's first run comes shortly after its first
 * start; each run enqueues the next a day later (an hour later when it did not finish). A run: the audit trail's
 * partitions (created ahead, expired months dropped), old codes with their delivery rows and the fraud guard's
 * decisions, then the fraud guard's counters and idle subjects.
 */
@Injectable()
export class DataRetentionJob implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DataRetentionJob.name);
  private running?: Promise<DataRetentionReport>;
  private stopping = false;

  constructor(
    private readonly auditPartitions: AuditPartitionRetention,
    private readonly smsCodes: SmsCodeRetention,
    private readonly fraudGuard: FraudGuardPruning,
    private readonly metrics: SmsMetrics,
    private readonly jobs: JobQueue,
    config: ConfigService<AppConfig, true>,
  ) {
    const firstRunDelay = config.get('RETENTION_FIRST_RUN_DELAY_SECONDS', { infer: true });
    jobs.define<Record<string, never>>({
      queue: DATA_RETENTION_QUEUE,
      policy: 'stately',
      enabled: true,
      seed: { data: {}, startAfterSeconds: firstRunDelay },
      // A failed job (the next run could not be enqueued) is retried an hour later, indefinitely.
      retryLimit: 1_000_000,
      retryDelaySeconds: UNFINISHED_RETRY_SECONDS,
      expireInSeconds: JOB_EXPIRY_SECONDS,
      pollingIntervalSeconds: Math.min(firstRunDelay, 30),
      handler: () => this.scheduledRun(),
    });
  }

  /** Lets a run stop at its next batch, and waits for it: the pool closes after this. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** One run; runs never overlap within a process (and the queue keeps them one at a time across processes). */
  runOnce(): Promise<DataRetentionReport> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async scheduledRun(): Promise<void> {
    const report = await this.runOnce();
    await this.jobs.send(
      DATA_RETENTION_QUEUE,
      {},
      { startAfterSeconds: report.complete ? DAY_SECONDS : UNFINISHED_RETRY_SECONDS },
    );
  }

  private async run(): Promise<DataRetentionReport> {
    const deadline = Date.now() + RUN_BUDGET_MS;
    const shouldStop = () => this.stopping || Date.now() > deadline;
    const report: DataRetentionReport = { failed: [], complete: true };
    const step = async <T extends object>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (error) {
        report.failed.push(name);
        report.complete = false;
        this.logger.warn(`data retention: ${name} failed: ${(error as Error).message}`);
        return undefined;
      }
    };
    report.auditPartitions = await step('audit partitions', () => this.auditPartitions.run());
    report.smsCodes = await step('sms codes', () => this.smsCodes.run(shouldStop));
    report.fraudGuard = await step('fraud guard', () => this.fraudGuard.run(shouldStop));
    if (report.smsCodes?.complete === false || report.fraudGuard?.complete === false) report.complete = false;
    this.count(report);
    this.logger.log(describe(report));
    return report;
  }

  private count({ auditPartitions, smsCodes, fraudGuard }: DataRetentionReport): void {
    const removed: [string, number | undefined][] = [
      ['audit_events', auditPartitions?.dropped.reduce((sum, partition) => sum + partition.rows, 0)],
      ['sms_verifications', smsCodes?.codes],
      ['sms_deliveries', smsCodes?.deliveries],
      ['fraud_decisions', smsCodes?.fraudDecisions],
      ['fraud_sent_counts', fraudGuard?.sentCounts],
      ['fraud_verified_counts', fraudGuard?.verifiedCounts],
      ['fraud_subjects', fraudGuard?.subjects],
      ['fraud_conversions', fraudGuard?.conversions],
    ];
    for (const [table, rows] of removed) this.metrics.retentionRemoved(table, rows ?? 0);
  }
}

/** One line: what was created and removed (counts and partition names; never a phone number or a prefix). */
function describe({ auditPartitions, smsCodes, fraudGuard, failed, complete }: DataRetentionReport): string {
  const parts: string[] = [];
  if (auditPartitions) {
    const created = auditPartitions.created.map(
      (partition) => partition.name + (partition.movedRows > 0 ? ` (${rows(partition.movedRows)} moved in)` : ''),
    );
    const dropped = auditPartitions.dropped.map((partition) => `${partition.name} (${rows(partition.rows)})`);
    parts.push(`audit partitions created: ${created.join(', ') || 'none'}; dropped: ${dropped.join(', ') || 'none'}`);
  }
  if (smsCodes)
    parts.push(
      `deleted ${smsCodes.codes} codes, ${smsCodes.deliveries} delivery rows, ` +
        `${smsCodes.fraudDecisions} fraud decisions`,
    );
  if (fraudGuard)
    parts.push(
      `fraud guard pruned ${fraudGuard.sentCounts} sent and ${fraudGuard.verifiedCounts} verified buckets, ` +
        `${fraudGuard.subjects} idle subjects, ${fraudGuard.conversions} conversions`,
    );
  if (failed.length > 0) parts.push(`failed: ${failed.join(', ')}`);
  else if (!complete) parts.push('unfinished: the rest waits for the next run');
  return `data retention: ${parts.join('; ')}`;
}

const rows = (count: number) => `${count} row${count === 1 ? '' : 's'}`;
