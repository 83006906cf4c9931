import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { type CreatedPartition, type DroppedPartition, RetentionRepository } from './retention.repository';

/** Months after the current one whose audit_events partitions exist in advance. */
export const AUDIT_PARTITION_MONTHS_AHEAD = 3;

export interface AuditPartitionReport {
  created: CreatedPartition[];
  dropped: DroppedPartition[];
}

/**
 * The monthly partitions of audit_events: the coming months' are created ahead (rows that landed in the default
 * partition move into theirs), and, with AUDIT_RETENTION_DAYS set, months wholly older than it are dropped, each
 * with its audit_partition_dropped event. Dropping a partition is the only removal the append-only guard allows.
 */
@Injectable()
export class AuditPartitionRetention {
  private readonly retentionDays: number;

  constructor(
    private readonly repository: RetentionRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.retentionDays = config.get('AUDIT_RETENTION_DAYS', { infer: true });
  }

  async run(): Promise<AuditPartitionReport> {
    const created = await this.repository.ensureAuditPartitions(AUDIT_PARTITION_MONTHS_AHEAD);
    const dropped = this.retentionDays > 0 ? await this.repository.dropExpiredAuditPartitions(this.retentionDays) : [];
    return { created, dropped };
  }
}
