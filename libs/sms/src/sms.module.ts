import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { SmsMetrics } from '@app/metrics';
import { MessageTemplates } from './message-templates.service';
import { ProviderBalanceService } from './provider-balance.service';
import { createSmsProviders } from './sms-provider.factory';
import { SmsDispatcher } from './sms-dispatcher.service';
import { SMS_PROVIDERS } from './sms.constants';

@Module({
  providers: [
    {
      provide: SMS_PROVIDERS,
      inject: [ConfigService, SmsMetrics],
      useFactory: (config: ConfigService<AppConfig, true>, metrics: SmsMetrics) =>
        createSmsProviders(config, ({ provider, outcome, seconds }) =>
          metrics.vendorHttpCall(provider, outcome, seconds),
        ),
    },
    SmsDispatcher,
    MessageTemplates,
    ProviderBalanceService,
  ],
  exports: [SMS_PROVIDERS, SmsDispatcher, MessageTemplates, ProviderBalanceService],
})
export class SmsModule {}
