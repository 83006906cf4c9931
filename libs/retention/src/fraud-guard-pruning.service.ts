import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { RetentionRepository, type SweptFraudTable } from './retention.repository';

/** Pages per statement (1 MB): each range is its own short transaction. */
export const FRAUD_PRUNING_PAGES_PER_BATCH = 128;

export interface FraudGuardPruningReport {
  sentCounts: number;
  verifiedCounts: number;
  subjects: number;
  conversions: number;
  complete: boolean;
}

/**
 * The fraud guard's tables that would otherwise grow forever, pruned of what no rule reads again: hourly and
 * daily counters older than the longest windows (plus 3 days), idle IP subjects, prefixes idle for
 * SMS_CODE_RETENTION_DAYS and not blocked (with their conversions), and conversions below every breaker window.
 * The guard's decisions are deleted with the codes (SmsCodeRetention).
 */
@Injectable()
export class FraudGuardPruning {
  private readonly prefixIdleDays: number | null;

  constructor(
    private readonly repository: RetentionRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    const days = config.get('SMS_CODE_RETENTION_DAYS', { infer: true });
    this.prefixIdleDays = days > 0 ? days : null;
  }

  async run(shouldStop: () => boolean): Promise<FraudGuardPruningReport> {
    const report = { sentCounts: 0, verifiedCounts: 0, subjects: 0, conversions: 0 };
    let complete = await this.sweep('fraud_subjects', shouldStop, async (from, to) => {
      const deleted = await this.repository.sweepIdleFraudSubjects(from, to, this.prefixIdleDays);
      report.subjects += deleted.subjects;
      report.conversions += deleted.conversions;
    });
    complete &&= await this.sweep('fraud_conversions', shouldStop, async (from, to) => {
      report.conversions += await this.repository.sweepFraudPages('fraud_conversions', from, to);
    });
    complete &&= await this.sweep('fraud_sent_counts', shouldStop, async (from, to) => {
      report.sentCounts += await this.repository.sweepFraudPages('fraud_sent_counts', from, to);
    });
    complete &&= await this.sweep('fraud_verified_counts', shouldStop, async (from, to) => {
      report.verifiedCounts += await this.repository.sweepFraudPages('fraud_verified_counts', from, to);
    });
    return { ...report, complete };
  }

  /** Runs `batch` over the table's pages, a range at a time; false when stopped before the end. */
  private async sweep(
    table: SweptFraudTable,
    shouldStop: () => boolean,
    batch: (fromPage: number, toPage: number) => Promise<void>,
  ): Promise<boolean> {
    const pages = await this.repository.pageCount(table);
    for (let from = 0; from < pages; from += FRAUD_PRUNING_PAGES_PER_BATCH) {
      if (shouldStop()) return false;
      await batch(from, from + FRAUD_PRUNING_PAGES_PER_BATCH);
    }
    return true;
  }
}
