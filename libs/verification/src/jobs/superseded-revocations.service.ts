import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobQueue } from '@app/jobs';
import { SMS_PROVIDERS, type SmsProvider } from '@app/sms';
import { DeliveryFailoverRepository } from './delivery-failover.repository';

export const REVOKE_SUPERSEDED_QUEUE = 'delivery-revoke-superseded';

export interface RevokeSupersededJob {
  verificationId: string;
}

/**
 * When a later link of a chain delivered the code, the unread messages of earlier links (Telegram's) are
 * withdrawn with the vendor's `revoke`: the person sees one message, the one that arrived. A pg-boss job off the
 * report's path, retried a few times; best effort (a vendor that keeps failing is given up).
 */
@Injectable()
export class SupersededRevocations {
  private readonly logger = new Logger(SupersededRevocations.name);
  readonly enabled: boolean;

  constructor(
    private readonly jobs: JobQueue,
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly failovers: DeliveryFailoverRepository,
  ) {
    this.enabled = [...providers.values()].some((provider) => typeof provider.revoke === 'function');
    jobs.define<RevokeSupersededJob>({
      queue: REVOKE_SUPERSEDED_QUEUE,
      enabled: this.enabled,
      retryLimit: 3,
      retryDelaySeconds: 2,
      retryBackoff: true,
      expireInSeconds: 120,
      pollingIntervalSeconds: 1,
      handler: (job) => this.run(job),
    });
  }

  /** A later link's message (`messageId`) was delivered or read. Never awaited by the report's handling. */
  afterLaterLinkDelivered(verificationId: string, messageId: string): void {
    if (!this.enabled) return;
    this.jobs
      .send(REVOKE_SUPERSEDED_QUEUE, { verificationId }, { onceKey: `${verificationId}:${messageId}` })
      .catch((error: unknown) =>
        this.logger.warn(
          `revocation of superseded messages of ${verificationId} not enqueued: ${(error as Error).message}`,
        ),
      );
  }

  private async run(job: RevokeSupersededJob): Promise<void> {
    const failures: string[] = [];
    for (const delivery of await this.failovers.supersededDeliveries(job.verificationId)) {
      const provider = this.providers.get(delivery.provider);
      if (!provider?.revoke) continue;
      try {
        await provider.revoke(delivery.messageId);
      } catch (error) {
        failures.push(`${delivery.provider}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`revoking superseded messages failed: ${failures.join('; ')}`);
  }
}
