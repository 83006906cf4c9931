import { Inject, Injectable } from '@nestjs/common';
import { DeliveryStatus } from './delivery-status';
import { SmsProviderError } from './sms-provider.error';
import type { SmsMessage, SmsProvider } from './sms-provider.interface';
import { SMS_PROVIDERS } from './sms.constants';

export interface SmsAttempt {
  provider: string;
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

/** Hands a message to the configured providers in order, moving on only after a definite failure. */
@Injectable()
export class SmsDispatcher {
  constructor(@Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>) {}

  async dispatch(message: SmsMessage): Promise<SmsDispatchResult> {
    const attempts: SmsAttempt[] = [];
    let lastError: SmsProviderError | undefined;
    for (const provider of this.providers.values()) {
      const startedAt = new Date();
      try {
        const result = await provider.send(message);
        const accepted: SmsAttempt = {
          provider: provider.name,
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
        attempts.push({
          provider: provider.name,
          messageId: null,
          status: DeliveryStatus.Failed,
          errorCode: lastError.providerCode ?? lastError.code,
          errorMessage: lastError.message.slice(0, 512),
          error: lastError,
          startedAt,
          finishedAt: new Date(),
        });
      }
    }
    return { attempts, error: lastError };
  }
}
