import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AppConfig } from '@app/config';
import { JobQueue } from '@app/jobs';
import { SmsMetrics, stopwatch } from '@app/metrics';
import { DeliveryReport, SMS_PROVIDERS, SmsProvider, SmsProviderError } from '@app/sms';
import { DataSource } from 'typeorm';
import { DeliveryTrackingRepository } from './delivery-tracking.repository';
import { DeliveryTrackingService } from './delivery-tracking.service';

const BATCH_SIZE = 50;
/** Questions per message at most; with the interval and the code lifetime this bounds the polling. */
const MAX_CHECKS = 20;
export const DELIVERY_POLL_QUEUE = 'delivery-poll';

/**
 * Asks vendors for the status of messages that have no final delivery status yet, until one arrives,
 * the code expires, or MAX_CHECKS questions were asked. Vendors without a status API are skipped.
 *
 * The rounds are a recurring pg-boss job (queue `delivery-poll`, policy `stately`: at most one round waiting and
 * one running across all instances): each round enqueues the next one SMS_STATUS_POLL_INTERVAL_MS later, and
 * every instance seeds one at start (dropped while one waits). A round cut short by a crash is failed when it
 * expires and retried. Without a vendor that has a status API nothing is enqueued.
 */
@Injectable()
export class DeliveryPoller implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryPoller.name);
  private readonly intervalMs: number;
  private running?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly deliveries: DeliveryTrackingRepository,
    private readonly tracking: DeliveryTrackingService,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: SmsMetrics,
    private readonly jobs: JobQueue,
  ) {
    this.intervalMs = config.get('SMS_STATUS_POLL_INTERVAL_MS', { infer: true });
    const intervalSeconds = Math.max(1, Math.round(this.intervalMs / 1000));
    jobs.define<Record<string, never>>({
      queue: DELIVERY_POLL_QUEUE,
      policy: 'stately',
      enabled: this.pollableProviders().length > 0,
      seed: { data: {}, startAfterSeconds: intervalSeconds },
      // A failed round (the next one could not be enqueued) is retried after an interval, indefinitely.
      retryLimit: 1_000_000,
      retryDelaySeconds: intervalSeconds,
      expireInSeconds: 300,
      pollingIntervalSeconds: Math.min(intervalSeconds, 2),
      handler: () => this.scheduledRound(intervalSeconds),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async scheduledRound(intervalSeconds: number): Promise<void> {
    await this.pollOnce().catch((error: unknown) =>
      this.logger.warn(`status polling failed: ${(error as Error).message}`),
    );
    await this.jobs.send(DELIVERY_POLL_QUEUE, {}, { startAfterSeconds: intervalSeconds });
  }

  /** One round: returns how many deliveries changed status. Rounds never overlap. */
  pollOnce(): Promise<number> {
    this.running ??= this.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<number> {
    const providers = this.pollableProviders();
    if (providers.length === 0) return 0;
    // One UPDATE … RETURNING claims the batch: atomic without an explicit transaction.
    const batch = await this.deliveries.claimBatchToPoll(
      this.dataSource.manager,
      providers.map((provider) => provider.name),
      Math.floor(this.intervalMs / 1000),
      MAX_CHECKS,
      BATCH_SIZE,
    );
    let updated = 0;
    for (const delivery of batch) {
      const provider = this.providers.get(delivery.provider)!;
      try {
        const report = await this.fetchStatus(provider, delivery.providerMessageId);
        if ((await this.tracking.apply(delivery.provider, report, 'poll')) === 'updated') updated += 1;
      } catch (error) {
        this.logger.debug(`status of a ${delivery.provider} message could not be read: ${(error as Error).message}`);
      }
    }
    return updated;
  }

  /** Asks the vendor for a message's status, timed for the metrics. */
  private async fetchStatus(provider: SmsProvider, messageId: string): Promise<DeliveryReport> {
    const elapsed = stopwatch();
    try {
      const report = await provider.fetchStatus!(messageId);
      this.metrics.providerCall(provider.name, 'status', 'ok', elapsed());
      return report;
    } catch (error) {
      this.metrics.providerCall(
        provider.name,
        'status',
        error instanceof SmsProviderError ? error.kind : 'unavailable',
        elapsed(),
      );
      throw error;
    }
  }

  private pollableProviders(): SmsProvider[] {
    return [...this.providers.values()].filter((provider) => typeof provider.fetchStatus === 'function');
  }
}
