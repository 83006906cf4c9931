import { Module } from '@nestjs/common';
import { JobsModule } from '@app/jobs';
import { AuditPartitionRetention } from './audit-partition-retention.service';
import { DataRetentionJob } from './data-retention.job';
import { FraudGuardPruning } from './fraud-guard-pruning.service';
import { RetentionRepository } from './retention.repository';
import { SmsCodeRetention } from './sms-code-retention.service';

/** Data retention (README "Data retention"): a daily job on the job queue, never on a request's path. */
@Module({
  imports: [JobsModule],
  providers: [RetentionRepository, AuditPartitionRetention, SmsCodeRetention, FraudGuardPruning, DataRetentionJob],
  exports: [DataRetentionJob],
})
export class RetentionModule {}
