import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AppConfig } from '@app/config';
import { SmsMetrics, stopwatch } from '@app/metrics';
import { DeliveryReport, SMS_PROVIDERS, SmsProvider, SmsProviderError } from '@app/sms';
import { DataSource } from 'typeorm';
import { DeliveryTrackingRepository } from './delivery-tracking.repository';
import { DeliveryTrackingService } from './delivery-tracking.service';

const BATCH_SIZE = 50;
/** Questions per message at most; with the interval and the code lifetime this bounds the polling. */
const MAX_CHECKS = 20;

/**
 * Asks vendors for the status of messages that have no final delivery status yet, until one arrives,
 * the code expires, or MAX_CHECKS questions were asked. Vendors without a status API are skipped.
 */
@Injectable()
export class DeliveryPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryPoller.name);
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly deliveries: DeliveryTrackingRepository,
    private readonly tracking: DeliveryTrackingService,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: SmsMetrics,
  ) {
    this.intervalMs = config.get('SMS_STATUS_POLL_INTERVAL_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    if (this.pollableProviders().length === 0) return;
    this.timer = setInterval(
      () =>
        void this.pollOnce().catch((error) => this.logger.warn(`status polling failed: ${(error as Error).message}`)),
      this.intervalMs,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
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
