import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfig, parseSmsRoutes, SmsRoutes } from '@app/config';
import { SmsMetrics, stopwatch } from '@app/metrics';
import { DeliveryStatus } from './delivery-status';
import { SmsProviderError } from './sms-provider.error';
import type { DeliveryChannel } from './delivery-channel';
import type { SendCost, SmsMessage, SmsProvider } from './sms-provider.interface';
import { SMS_PROVIDERS } from './sms.constants';

export interface SmsAttempt {
  provider: string;
  channel: DeliveryChannel;
  /** As the vendor stated it for this attempt, if it did. */
  cost: SendCost | null;
  messageId: string | null;
  status: DeliveryStatus;
  errorCode: string | null;
  errorMessage: string | null;
  error?: SmsProviderError;
  startedAt: Date;
  finishedAt: Date;
}

export interface SmsDispatchResult {
  attempts: SmsAttempt[];
  /** The attempt that a provider accepted; absent when every provider failed. */
  accepted?: SmsAttempt;
  /** The last failure, when nothing was accepted. */
  error?: SmsProviderError;
}

/**
 * Hands a message to a chain of providers: the chain of SMS_ROUTES for the number's country (or `*`),
 * else SMS_PROVIDER. It moves to the next provider only after a definite failure of the previous one;
 * every attempt is returned so that the caller can record it.
 */
@Injectable()
export class SmsDispatcher {
  private readonly defaultChain: readonly string[];
  private readonly routes: SmsRoutes;

  constructor(
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    config: ConfigService<AppConfig, true>,
    private readonly metrics: SmsMetrics,
  ) {
    const testMode = config.get('SMS_TEST_MODE', { infer: true });
    this.defaultChain = testMode ? ['console'] : config.get('SMS_PROVIDER', { infer: true });
    this.routes = testMode ? new Map() : parseSmsRoutes(config.get('SMS_ROUTES', { infer: true }));
  }

  /** The countries SMS_ROUTES names (`*` included); none in test mode. */
  routedCountries(): string[] {
    return [...this.routes.keys()];
  }

  /**
   * The providers that would be tried for a number of this country, in order; with `channel`, only the links
   * of that channel (SPEC §9: a client may ask for one), still in the chain's order.
   */
  chainFor(country: string | null, channel?: DeliveryChannel): SmsProvider[] {
    const names = (country && this.routes.get(country)) || this.routes.get('*') || this.defaultChain;
    return names
      .map((name) => this.providers.get(name))
      .filter((provider): provider is SmsProvider => provider !== undefined)
      .filter((provider) => channel === undefined || provider.channel === channel);
  }

  /**
   * Tries the chain's links in order (only those of `route.channel` when a client asked for one), from
   * `route.fromLink` (0: the first; delivery-driven failover starts after the link that did not deliver).
   */
  async dispatch(
    message: SmsMessage,
    country: string | null = null,
    route: { channel?: DeliveryChannel; fromLink?: number } = {},
  ): Promise<SmsDispatchResult> {
    const attempts: SmsAttempt[] = [];
    let lastError: SmsProviderError | undefined;
    for (const provider of this.chainFor(country, route.channel).slice(route.fromLink ?? 0)) {
      const startedAt = new Date();
      const elapsed = stopwatch();
      try {
        const result = await provider.send(message);
        this.metrics.providerCall(provider.name, 'send', 'ok', elapsed());
        const accepted: SmsAttempt = {
          provider: provider.name,
          channel: provider.channel,
          cost: result.cost ?? null,
          messageId: result.messageId,
          status: result.status,
          errorCode: null,
          errorMessage: null,
          startedAt,
          finishedAt: new Date(),
        };
        attempts.push(accepted);
        return { attempts, accepted };
      } catch (error) {
        lastError =
          error instanceof SmsProviderError
            ? error
            : new SmsProviderError('unavailable', provider.name, null, `${provider.name} failed unexpectedly`);
        this.metrics.providerCall(provider.name, 'send', lastError.kind, elapsed());
        this.metrics.codeSendFailed(provider.name, lastError.providerCode ?? lastError.code, provider.channel);
        attempts.push({
          provider: provider.name,
          channel: provider.channel,
          cost: null,
          messageId: null,
          status: DeliveryStatus.Failed,
          errorCode: lastError.providerCode ?? lastError.code,
          errorMessage: lastError.message.slice(0, 512),
          error: lastError,
          startedAt,
          finishedAt: new Date(),
        });
        // The message may already be on its way: sending it again through another vendor could double-bill.
        if (!lastError.definite) break;
      }
    }
    return { attempts, error: lastError };
  }
}
