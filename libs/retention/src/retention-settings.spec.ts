import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { AUDIT_PARTITION_MONTHS_AHEAD, AuditPartitionRetention } from './audit-partition-retention.service';
import { FraudGuardPruning } from './fraud-guard-pruning.service';
import type { RetentionRepository } from './retention.repository';
import { SmsCodeRetention } from './sms-code-retention.service';

const configWith = (settings: Partial<AppConfig>) =>
  ({ get: (key: keyof AppConfig) => settings[key] }) as unknown as ConfigService<AppConfig, true>;

function repositoryMock() {
  return {
    ensureAuditPartitions: jest.fn().mockResolvedValue([]),
    dropExpiredAuditPartitions: jest.fn().mockResolvedValue([]),
    deleteExpiredCodes: jest.fn().mockResolvedValue({ codes: 0, deliveries: 0 }),
    deleteExpiredFraudDecisions: jest.fn().mockResolvedValue(0),
    pageCount: jest.fn().mockResolvedValue(300),
    sweepFraudPages: jest.fn().mockResolvedValue(0),
    sweepIdleFraudSubjects: jest.fn().mockResolvedValue({ subjects: 0, conversions: 0 }),
  };
}

const neverStop = () => false;

describe('retention settings of 0 keep forever', () => {
  it('AUDIT_RETENTION_DAYS=0: partitions are still created ahead, none is dropped', async () => {
    const repository = repositoryMock();
    const sut = new AuditPartitionRetention(
      repository as unknown as RetentionRepository,
      configWith({ AUDIT_RETENTION_DAYS: 0 }),
    );
    await sut.run();
    expect(repository.ensureAuditPartitions).toHaveBeenCalledWith(AUDIT_PARTITION_MONTHS_AHEAD);
    expect(repository.dropExpiredAuditPartitions).not.toHaveBeenCalled();
  });

  it('AUDIT_RETENTION_DAYS=400 drops with it', async () => {
    const repository = repositoryMock();
    await new AuditPartitionRetention(
      repository as unknown as RetentionRepository,
      configWith({ AUDIT_RETENTION_DAYS: 400 }),
    ).run();
    expect(repository.dropExpiredAuditPartitions).toHaveBeenCalledWith(400);
  });

  it('SMS_CODE_RETENTION_DAYS=0: no code, decision or prefix is deleted; expired counters still are', async () => {
    const repository = repositoryMock();
    const settings = configWith({ SMS_CODE_RETENTION_DAYS: 0 });
    await new SmsCodeRetention(repository as unknown as RetentionRepository, settings).run(neverStop);
    expect(repository.deleteExpiredCodes).not.toHaveBeenCalled();
    expect(repository.deleteExpiredFraudDecisions).not.toHaveBeenCalled();
    await new FraudGuardPruning(repository as unknown as RetentionRepository, settings).run(neverStop);
    expect(repository.sweepIdleFraudSubjects).toHaveBeenCalledWith(0, 128, null);
    expect(repository.sweepFraudPages).toHaveBeenCalledWith('fraud_sent_counts', 256, 384);
  });
});

describe(FraudGuardPruning.name, () => {
  it('sweeps each table a range of pages at a time, up to its size, and stops when asked', async () => {
    const repository = repositoryMock();
    const sut = new FraudGuardPruning(
      repository as unknown as RetentionRepository,
      configWith({ SMS_CODE_RETENTION_DAYS: 90 }),
    );
    await sut.run(neverStop);
    expect(repository.sweepIdleFraudSubjects.mock.calls).toEqual([
      [0, 128, 90],
      [128, 256, 90],
      [256, 384, 90],
    ]);
    for (const table of ['fraud_conversions', 'fraud_sent_counts', 'fraud_verified_counts'])
      expect(repository.sweepFraudPages.mock.calls.filter(([name]) => name === table)).toHaveLength(3);

    const stopping = repositoryMock();
    let ranges = 0;
    const report = await new FraudGuardPruning(
      stopping as unknown as RetentionRepository,
      configWith({ SMS_CODE_RETENTION_DAYS: 90 }),
    ).run(() => ranges++ >= 2);
    expect(report.complete).toBe(false);
    expect(stopping.sweepIdleFraudSubjects).toHaveBeenCalledTimes(2);
    expect(stopping.sweepFraudPages).not.toHaveBeenCalled();
  });
});
