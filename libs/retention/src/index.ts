export * from './audit-partition-retention.service';
export * from './data-retention.job';
export * from './fraud-guard-pruning.service';
export * from './retention.module';
export * from './retention.repository';
export * from './sms-code-retention.service';
