import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { RetentionRepository } from './retention.repository';

/** Rows per statement: each batch is its own short transaction. */
export const CODE_RETENTION_BATCH_SIZE = 1000;

export interface SmsCodeRetentionReport {
  codes: number;
  deliveries: number;
  fraudDecisions: number;
  /** False when the run stopped before the last batch (shutdown or its time was up). */
  complete: boolean;
}

/**
 * With SMS_CODE_RETENTION_DAYS set, deletes the codes created before it, with their delivery rows, and the fraud
 * guard's decisions taken before it, oldest first, a batch per statement until none is left. Nothing else
 * changes on a delete: statistics rollups keep the figures of the codes deleted.
 */
@Injectable()
export class SmsCodeRetention {
  private readonly retentionDays: number;

  constructor(
    private readonly repository: RetentionRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.retentionDays = config.get('SMS_CODE_RETENTION_DAYS', { infer: true });
  }

  async run(shouldStop: () => boolean, batchSize = CODE_RETENTION_BATCH_SIZE): Promise<SmsCodeRetentionReport> {
    const report: SmsCodeRetentionReport = { codes: 0, deliveries: 0, fraudDecisions: 0, complete: true };
    if (this.retentionDays === 0) return report;
    for (;;) {
      if (shouldStop()) return { ...report, complete: false };
      const batch = await this.repository.deleteExpiredCodes(this.retentionDays, batchSize);
      report.codes += batch.codes;
      report.deliveries += batch.deliveries;
      if (batch.codes < batchSize) break;
    }
    for (;;) {
      if (shouldStop()) return { ...report, complete: false };
      const deleted = await this.repository.deleteExpiredFraudDecisions(this.retentionDays, batchSize);
      report.fraudDecisions += deleted;
      if (deleted < batchSize) break;
    }
    return report;
  }
}
