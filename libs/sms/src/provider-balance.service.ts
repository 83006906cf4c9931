import { Inject, Injectable } from '@nestjs/common';
import { SmsMetrics, stopwatch } from '@app/metrics';
import { SmsProviderError } from './sms-provider.error';
import type { SmsProvider } from './sms-provider.interface';
import { SMS_PROVIDERS } from './sms.constants';

export type ProviderBalance =
  | { provider: string; balance: string; currency: string | null }
  | { provider: string; error: { code: string; message: string; provider_code?: string | null } };

/** The balance of every configured provider, asked in parallel; a vendor that cannot say explains why. */
@Injectable()
export class ProviderBalanceService {
  constructor(
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly metrics: SmsMetrics,
  ) {}

  async balances(): Promise<ProviderBalance[]> {
    return Promise.all([...this.providers.values()].map((provider) => this.balanceOf(provider)));
  }

  private async balanceOf(provider: SmsProvider): Promise<ProviderBalance> {
    if (!provider.fetchBalance) {
      return {
        provider: provider.name,
        error: { code: 'NOT_SUPPORTED', message: `${provider.name} has no balance API` },
      };
    }
    const elapsed = stopwatch();
    try {
      const { balance, currency } = await provider.fetchBalance();
      this.metrics.providerCall(provider.name, 'balance', 'ok', elapsed());
      return { provider: provider.name, balance, currency };
    } catch (error) {
      this.metrics.providerCall(
        provider.name,
        'balance',
        error instanceof SmsProviderError ? error.kind : 'unavailable',
        elapsed(),
      );
      if (error instanceof SmsProviderError) {
        return {
          provider: provider.name,
          error: { code: error.code, message: error.message, provider_code: error.providerCode },
        };
      }
      return {
        provider: provider.name,
        error: { code: 'INTERNAL', message: `${provider.name} balance could not be read` },
      };
    }
  }
}
