import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import type { JobDefinition, JobQueue } from '@app/jobs';
import type { SmsMetrics } from '@app/metrics';
import type { AuditPartitionRetention } from './audit-partition-retention.service';
import { DATA_RETENTION_QUEUE, DataRetentionJob } from './data-retention.job';
import type { FraudGuardPruning } from './fraud-guard-pruning.service';
import type { SmsCodeRetention } from './sms-code-retention.service';

const FRAUD_NOTHING = { sentCounts: 0, verifiedCounts: 0, subjects: 0, conversions: 0, complete: true };

function createSut(firstRunDelay = 60) {
  let definition: JobDefinition<Record<string, never>> | undefined;
  const jobs = {
    define: jest.fn((d: JobDefinition<Record<string, never>>) => (definition = d)),
    send: jest.fn().mockResolvedValue(true),
  };
  const auditPartitions = {
    run: jest.fn().mockResolvedValue({
      created: [{ name: 'audit_events_2027_03', movedRows: 0 }],
      dropped: [{ name: 'audit_events_2025_09', from: new Date(), to: new Date(), rows: 720 }],
    }),
  };
  const smsCodes = { run: jest.fn().mockResolvedValue({ codes: 3, deliveries: 4, fraudDecisions: 2, complete: true }) };
  const fraudGuard = { run: jest.fn().mockResolvedValue(FRAUD_NOTHING) };
  const metrics = { retentionRemoved: jest.fn() };
  const config = { get: jest.fn(() => firstRunDelay) };
  const sut = new DataRetentionJob(
    auditPartitions as unknown as AuditPartitionRetention,
    smsCodes as unknown as SmsCodeRetention,
    fraudGuard as unknown as FraudGuardPruning,
    metrics as unknown as SmsMetrics,
    jobs as unknown as JobQueue,
    config as unknown as ConfigService<AppConfig, true>,
  );
  const runScheduled = () => definition!.handler({}, { id: 'j', retryCount: 0 });
  return { sut, definition: definition!, jobs, auditPartitions, smsCodes, fraudGuard, metrics, runScheduled };
}

describe(DataRetentionJob.name, () => {
  let log: jest.SpyInstance;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('defines a stately queue, always enabled, whose first run comes the configured delay after start', () => {
    const { definition } = createSut(5);
    expect(definition).toMatchObject({
      queue: DATA_RETENTION_QUEUE,
      policy: 'stately',
      enabled: true,
      seed: { data: {}, startAfterSeconds: 5 },
    });
  });

  it('runs every step, counts and logs what went, and enqueues the next run a day later', async () => {
    const { runScheduled, jobs, metrics } = createSut();
    await runScheduled();
    expect(jobs.send).toHaveBeenCalledWith(DATA_RETENTION_QUEUE, {}, { startAfterSeconds: 86_400 });
    expect(metrics.retentionRemoved).toHaveBeenCalledWith('audit_events', 720);
    expect(metrics.retentionRemoved).toHaveBeenCalledWith('sms_verifications', 3);
    expect(metrics.retentionRemoved).toHaveBeenCalledWith('sms_deliveries', 4);
    expect(metrics.retentionRemoved).toHaveBeenCalledWith('fraud_decisions', 2);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('dropped: audit_events_2025_09 (720 rows)'));
    expect(log).toHaveBeenCalledWith(expect.stringContaining('deleted 3 codes, 4 delivery rows, 2 fraud decisions'));
  });

  it('goes on after a failing step, and comes back in an hour', async () => {
    const { runScheduled, jobs, auditPartitions, smsCodes, fraudGuard } = createSut();
    auditPartitions.run.mockRejectedValue(new Error('canceling statement due to lock timeout'));
    await runScheduled();
    expect(smsCodes.run).toHaveBeenCalled();
    expect(fraudGuard.run).toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('audit partitions failed: canceling statement'));
    expect(jobs.send).toHaveBeenCalledWith(DATA_RETENTION_QUEUE, {}, { startAfterSeconds: 3_600 });
  });

  it('comes back in an hour when a step ran out of time', async () => {
    const { sut, runScheduled, jobs, fraudGuard } = createSut();
    fraudGuard.run.mockResolvedValue({ ...FRAUD_NOTHING, complete: false });
    await runScheduled();
    expect(jobs.send).toHaveBeenCalledWith(DATA_RETENTION_QUEUE, {}, { startAfterSeconds: 3_600 });
    await expect(sut.runOnce()).resolves.toMatchObject({ complete: false, failed: [] });
  });

  it('never runs twice at once in a process, and tells a running step to stop at shutdown', async () => {
    const { sut, smsCodes } = createSut();
    let finish!: () => void;
    smsCodes.run.mockImplementation(
      (shouldStop: () => boolean) =>
        new Promise((resolve) => {
          finish = () => resolve({ codes: 0, deliveries: 0, fraudDecisions: 0, complete: !shouldStop() });
        }),
    );
    const first = sut.runOnce();
    expect(sut.runOnce()).toBe(first);
    await new Promise(setImmediate);
    const shutdown = sut.beforeApplicationShutdown();
    finish();
    await shutdown;
    await expect(first).resolves.toMatchObject({ complete: false });
  });
});
