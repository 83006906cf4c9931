import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobPayloadCipher, JobQueue, type SealedSecret } from '@app/jobs';
import { SMS_PROVIDERS, SmsDispatcher, type SmsProvider } from '@app/sms';
import { DeliveryFailoverRepository } from './delivery-failover.repository';

export const POST_VERIFY_QUEUE = 'delivery-post-verify';

export interface PostVerifyJob {
  verificationId: string;
  /** The verified code, sealed (JobPayloadCipher). */
  code: SealedSecret;
}

const SEALED_CONTEXT = (verificationId: string) => `${POST_VERIFY_QUEUE}:${verificationId}`;

/**
 * After a successful verify, off the request path (a pg-boss job, retried with backoff): tells each vendor that
 * delivered the code and has `reportVerified` (Telegram's checkVerificationStatus with the code) that it was
 * entered, and withdraws (`revoke`) the superseded messages of earlier links that are still unread. Best effort:
 * a vendor that keeps failing is given up after the retries.
 */
@Injectable()
export class PostVerifyReports {
  private readonly logger = new Logger(PostVerifyReports.name);
  readonly enabled: boolean;

  constructor(
    private readonly jobs: JobQueue,
    private readonly cipher: JobPayloadCipher,
    private readonly sms: SmsDispatcher,
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly failovers: DeliveryFailoverRepository,
  ) {
    this.enabled = [...providers.values()].some(hasPostVerifyCalls);
    jobs.define<PostVerifyJob>({
      queue: POST_VERIFY_QUEUE,
      enabled: this.enabled,
      retryLimit: 4,
      retryDelaySeconds: 2,
      retryBackoff: true,
      expireInSeconds: 120,
      pollingIntervalSeconds: 1,
      handler: (job, meta) => this.run(job, meta.retryCount),
    });
  }

  /**
   * Enqueues the reports of an approved code when a link of the number's chain has something to report. Never
   * awaited by the verify: its failure is logged, the login stands.
   */
  afterVerified(verificationId: string, country: string | null, code: string): void {
    if (!this.enabled || !this.sms.chainFor(country).some(hasPostVerifyCalls)) return;
    const job: PostVerifyJob = { verificationId, code: this.cipher.seal(code, SEALED_CONTEXT(verificationId)) };
    this.jobs
      .send(POST_VERIFY_QUEUE, job, { onceKey: verificationId })
      .catch((error: unknown) =>
        this.logger.warn(`post-verify reports of ${verificationId} not enqueued: ${(error as Error).message}`),
      );
  }

  /** Every call is made; if any failed, the job fails and is retried (the vendors' calls are idempotent). */
  private async run(job: PostVerifyJob, retryCount: number): Promise<void> {
    const code = this.cipher.open(job.code, SEALED_CONTEXT(job.verificationId));
    const deliveries = await this.failovers.verifiedDeliveries(job.verificationId);
    const failures: string[] = [];
    for (const delivery of deliveries) {
      const provider = this.providers.get(delivery.provider);
      try {
        if (provider?.reportVerified) await provider.reportVerified(delivery.messageId, code);
        // Superseded by a later link: withdrawn unless the person already read it (only the current one stays).
        if (provider?.revoke && !delivery.isCurrent && delivery.status !== 'read')
          await provider.revoke(delivery.messageId);
      } catch (error) {
        failures.push(`${delivery.provider}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) {
      this.logger.warn(
        `post-verify reports of ${job.verificationId} failed (try ${retryCount + 1}): ${failures.join('; ')}`,
      );
      throw new Error('post-verify reports failed');
    }
  }
}

function hasPostVerifyCalls(provider: SmsProvider): boolean {
  return typeof provider.reportVerified === 'function' || typeof provider.revoke === 'function';
}
