import type { ConfigService } from '@nestjs/config';
import { AppConfig, SmsProviderName } from '@app/config';
import { ConsoleSmsProvider } from './providers/console.sms-provider';
import type { SmsProvider } from './sms-provider.interface';

type Config = ConfigService<AppConfig, true>;
type AdapterFactory = (config: Config) => SmsProvider;

/** One line per vendor: adding a vendor is an adapter file plus its line here. */
const ADAPTERS: Record<SmsProviderName, AdapterFactory> = {
  [SmsProviderName.Console]: (config) =>
    new ConsoleSmsProvider({ revealText: config.get('NODE_ENV', { infer: true }) !== 'production' }),
};

/** Builds only the adapters the configuration selects, in failover order. `SMS_TEST_MODE` forces `console`. */
export function createSmsProviders(config: Config): ReadonlyMap<string, SmsProvider> {
  const names = config.get('SMS_TEST_MODE', { infer: true }) ? [SmsProviderName.Console] : config.get('SMS_PROVIDER', { infer: true });
  return new Map(names.map((name) => [name, ADAPTERS[name](config)]));
}
