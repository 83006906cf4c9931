import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditEventType, auditRow } from '@app/audit';
import type { AppConfig } from '@app/config';
import { JobPayloadCipher, JobQueue, type SealedSecret } from '@app/jobs';
import { SmsMetrics } from '@app/metrics';
import { type DeliveryChannel, SMS_PROVIDERS, SmsDispatcher, type SmsProvider } from '@app/sms';
import { isDelivered } from '../delivery/delivery-status-rank';
import { DeliveryTrackingService } from '../delivery/delivery-tracking.service';
import { DeliveryFailoverRepository } from './delivery-failover.repository';
import { deliveryTimeoutSeconds } from './delivery-timeout';

export const DELIVERY_FAILOVER_QUEUE = 'delivery-failover';

/** A link's delivery timer: when it fires, the code goes to link `linkIndex + 1` unless it was delivered. */
export interface DeliveryFailoverJob {
  verificationId: string;
  linkIndex: number;
  /** The timed link's provider and its message id (the attempt whose delivery is awaited). */
  provider: string;
  messageId: string;
  /** The channel the client asked for: the chain is then that channel's links only. */
  channel?: DeliveryChannel;
  /** `{code, text}` sealed (JobPayloadCipher): the job table never holds the code in clear. */
  message: SealedSecret;
}

/** What was accepted by a link, as the send path knows it. */
export interface AcceptedSend {
  verificationId: string;
  country: string | null;
  /** The channel the client asked for, if any (see DeliveryFailoverJob). */
  channel?: DeliveryChannel;
  /** Position of the accepting link in the number's chain (of that channel's links, when one was asked). */
  linkIndex: number;
  provider: string;
  messageId: string | null;
  code: string;
  text: string;
}

const SEALED_CONTEXT = (verificationId: string) => `${DELIVERY_FAILOVER_QUEUE}:${verificationId}`;

/**
 * Delivery-driven failover (SPEC §9). When link k of a chain accepted a code and k has a delivery timeout, a job
 * waits that long in Postgres (pg-boss, so it survives restarts and runs on one instance); then, if the code is
 * still pending and link k has not reported delivered/read, the same code goes to link k+1 (a definite refusal
 * moves on to k+2 at once), and so on, once per link. A verify that succeeded, a newer code, or expiry ends it.
 */
@Injectable()
export class DeliveryFailover {
  private readonly logger = new Logger(DeliveryFailover.name);
  private readonly configuredTimeout: number | undefined;
  /** False when no link of any chain has a timeout: nothing is ever enqueued. */
  readonly enabled: boolean;

  constructor(
    private readonly jobs: JobQueue,
    private readonly cipher: JobPayloadCipher,
    private readonly sms: SmsDispatcher,
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly failovers: DeliveryFailoverRepository,
    private readonly tracking: DeliveryTrackingService,
    private readonly metrics: SmsMetrics,
    config: ConfigService<AppConfig, true>,
  ) {
    this.configuredTimeout = config.get('CHANNEL_DELIVERY_TIMEOUT_SECONDS', { infer: true });
    // A chain of one link has no next link; any provider with a timeout in a longer chain may start a timer.
    this.enabled = providers.size > 1 && [...providers.values()].some((provider) => this.timeoutOf(provider) > 0);
    jobs.define<DeliveryFailoverJob>({
      queue: DELIVERY_FAILOVER_QUEUE,
      enabled: this.enabled,
      // A job cut short by a crash runs again; the attempt record tells a retry that the next link was tried.
      retryLimit: 2,
      retryDelaySeconds: 1,
      expireInSeconds: 120,
      pollingIntervalSeconds: 0.5,
      handler: (job) => this.run(job),
    });
  }

  /**
   * After the send path recorded an accepted send: starts link k's delivery timer when k has a timeout and
   * a next link exists. One INSERT by pg-boss, keyed by verification and link (a repeat is dropped).
   */
  async afterAccepted(send: AcceptedSend): Promise<void> {
    if (!this.enabled || send.messageId === null) return;
    const chain = this.sms.chainFor(send.country, send.channel);
    const link = chain[send.linkIndex];
    if (!link || send.linkIndex + 1 >= chain.length) return;
    const timeout = this.timeoutOf(link);
    if (timeout <= 0) return;
    const job: DeliveryFailoverJob = {
      verificationId: send.verificationId,
      linkIndex: send.linkIndex,
      provider: send.provider,
      messageId: send.messageId,
      ...(send.channel ? { channel: send.channel } : {}),
      message: this.cipher.seal(
        JSON.stringify({ code: send.code, text: send.text }),
        SEALED_CONTEXT(send.verificationId),
      ),
    };
    await this.jobs.send(DELIVERY_FAILOVER_QUEUE, job, {
      startAfterSeconds: timeout,
      onceKey: `${send.verificationId}:${send.linkIndex}`,
    });
  }

  /**
   * No report came (no webhook, or not yet): one status question to the link's vendor, when it has a status API,
   * before the next link costs a second message. What it answers is recorded like any poll.
   */
  private async deliveredMeanwhile(job: DeliveryFailoverJob): Promise<boolean> {
    const provider = this.providers.get(job.provider);
    if (!provider?.fetchStatus) return false;
    try {
      const report = await provider.fetchStatus(job.messageId);
      await this.tracking.apply(provider.name, report, 'poll');
      return isDelivered(report.status);
    } catch (error) {
      this.logger.warn(`status of ${job.provider} message before failover unknown: ${(error as Error).message}`);
      return false;
    }
  }

  timeoutOf(provider: Pick<SmsProvider, 'channel'>): number {
    return deliveryTimeoutSeconds(provider, this.configuredTimeout);
  }

  /** The timer fired. Sends nothing when the code is settled, expired, delivered, or already passed on. */
  private async run(job: DeliveryFailoverJob): Promise<void> {
    const state = await this.failovers.state(job.verificationId, job.provider, job.messageId);
    if (!state || !state.valid || state.ttlSeconds < 1) return;
    if (isDelivered(state.linkStatus) || state.laterAttempts > 0) return;
    if (await this.deliveredMeanwhile(job)) return;
    const chain = this.sms.chainFor(state.country, job.channel);
    const fromLink = job.linkIndex + 1;
    if (fromLink >= chain.length) return;

    const { code, text } = JSON.parse(this.cipher.open(job.message, SEALED_CONTEXT(job.verificationId))) as {
      code: string;
      text: string;
    };
    const result = await this.sms.dispatch(
      {
        to: state.phoneNumber,
        text,
        otp: { code, ttlSeconds: state.ttlSeconds, verificationId: job.verificationId },
      },
      state.country,
      { channel: job.channel, fromLink },
    );
    const base = { phoneNumber: state.phoneNumber, verificationId: job.verificationId };
    const failover = { failover_from: job.provider, failover_from_message_id: job.messageId };
    const events = result.attempts
      .filter((attempt) => attempt.error)
      .map((attempt) =>
        auditRow({
          ...base,
          type: AuditEventType.CodeSendFailed,
          outcome: 'failure',
          provider: attempt.provider,
          details: {
            ...failover,
            error_code: attempt.error!.code,
            provider_code: attempt.error!.providerCode,
            message: attempt.errorMessage,
          },
        }),
      );
    if (result.accepted) {
      events.push(
        auditRow({
          ...base,
          type: AuditEventType.CodeSent,
          outcome: 'success',
          provider: result.accepted.provider,
          details: {
            ...failover,
            reason: 'delivery_timeout',
            message_id: result.accepted.messageId,
            channel: result.accepted.channel,
            attempts: result.attempts.length,
          },
        }),
      );
    }
    if (result.attempts.length === 0) return;
    await this.failovers.record({
      verificationId: job.verificationId,
      attempts: result.attempts,
      accepted: result.accepted,
      events,
    });
    if (!result.accepted) {
      this.logger.warn(`delivery failover of verification ${job.verificationId}: no further link accepted the code`);
      return;
    }
    this.metrics.deliveryFailover(job.provider, result.accepted.provider);
    await this.afterAccepted({
      verificationId: job.verificationId,
      country: state.country,
      channel: job.channel,
      linkIndex: fromLink + result.attempts.length - 1,
      provider: result.accepted.provider,
      messageId: result.accepted.messageId,
      code,
      text,
    });
  }
}
