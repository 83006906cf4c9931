import type { ConfigService } from '@nestjs/config';
import { type AppConfig, configuredProviderNames, parseSmsRoutes, SmsProviderName } from '@app/config';
import { ConsoleSmsProvider } from './providers/console.sms-provider';
import { EskizSmsProvider } from './providers/eskiz/eskiz.sms-provider';
import { GreenSmsProvider } from './providers/greensms/greensms.sms-provider';
import { MessaggioSmsProvider } from './providers/messaggio/messaggio.sms-provider';
import { MobizonSmsProvider } from './providers/mobizon/mobizon.sms-provider';
import { TwilioSmsProvider } from './providers/twilio/twilio.sms-provider';
import { TelegramGatewayProvider } from './providers/telegram/telegram-gateway.provider';
import { WhatsAppCloudProvider } from './providers/whatsapp/whatsapp.sms-provider';
import type { VendorCallObserver } from './http/vendor-http-client';
import type { HttpAdapterOptions } from './providers/provider-options';
import type { SmsProvider } from './sms-provider.interface';

type Config = ConfigService<AppConfig, true>;

/** Where vendors post delivery reports, when the service knows its public URL. */
export const WEBHOOK_PATH = '/api/v1/sms-auth/webhooks';

function webhookUrl(config: Config, provider: string, token?: string): string | undefined {
  const base = config.get('PUBLIC_BASE_URL', { infer: true });
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}${WEBHOOK_PATH}/${provider}${token ? `/${token}` : ''}`;
}

/** The HTTP options of every adapter: the vendor's base URL, the timeout, and the observer of each call. */
type HttpOptionsFor = (baseUrl: string) => HttpAdapterOptions;

function httpOptions(config: Config, observeCall?: VendorCallObserver): HttpOptionsFor {
  const timeoutMs = config.get('SMS_PROVIDER_TIMEOUT_MS', { infer: true });
  return (baseUrl) => ({ baseUrl: baseUrl.replace(/\/+$/, ''), timeoutMs, observeCall });
}

/** One line per vendor: adding a vendor is an adapter file plus its line here. Credentials were checked at boot. */
const ADAPTERS: Record<SmsProviderName, (config: Config, http: HttpOptionsFor) => SmsProvider> = {
  [SmsProviderName.Console]: (config) =>
    new ConsoleSmsProvider({ revealText: config.get('NODE_ENV', { infer: true }) !== 'production' }),
  [SmsProviderName.Mobizon]: (config, http) =>
    new MobizonSmsProvider({
      ...http(config.get('MOBIZON_API_URL', { infer: true })),
      apiKey: config.get('MOBIZON_API_KEY', { infer: true }),
      sender: config.get('MOBIZON_SENDER', { infer: true }),
      webhookSecret: config.get('MOBIZON_WEBHOOK_SECRET', { infer: true }),
    }),
  [SmsProviderName.Messaggio]: (config, http) => {
    const webhookToken = config.get('MESSAGGIO_WEBHOOK_TOKEN', { infer: true });
    return new MessaggioSmsProvider({
      ...http(config.get('MESSAGGIO_API_URL', { infer: true })),
      login: config.get('MESSAGGIO_API_KEY', { infer: true }),
      sender: config.get('MESSAGGIO_SENDER', { infer: true }),
      webhookToken,
      callbackUrl: webhookToken ? webhookUrl(config, SmsProviderName.Messaggio, webhookToken) : undefined,
    });
  },
  [SmsProviderName.GreenSms]: (config, http) =>
    new GreenSmsProvider({
      ...http(config.get('GREEN_SMS_API_URL', { infer: true })),
      user: config.get('GREEN_SMS_USER', { infer: true }),
      password: config.get('GREEN_SMS_PASSWORD', { infer: true }),
      token: config.get('GREEN_SMS_TOKEN', { infer: true }),
      sender: config.get('GREEN_SMS_SENDER', { infer: true }),
    }),
  [SmsProviderName.Twilio]: (config, http) =>
    new TwilioSmsProvider({
      ...http(config.get('TWILIO_API_URL', { infer: true })),
      accountSid: config.get('TWILIO_ACCOUNT_SID', { infer: true }),
      authToken: config.get('TWILIO_AUTH_TOKEN', { infer: true }),
      from: config.get('TWILIO_PHONE_NUMBER', { infer: true }),
      messagingServiceSid: config.get('TWILIO_MESSAGING_SERVICE_SID', { infer: true }),
      statusCallbackUrl: webhookUrl(config, SmsProviderName.Twilio),
      publicBaseUrl: config.get('PUBLIC_BASE_URL', { infer: true }),
    }),
  [SmsProviderName.Eskiz]: (config, http) =>
    new EskizSmsProvider({
      ...http(config.get('ESKIZ_API_URL', { infer: true })),
      email: config.get('ESKIZ_EMAIL', { infer: true }),
      password: config.get('ESKIZ_PASSWORD', { infer: true }),
      sender: config.get('ESKIZ_SENDER', { infer: true }),
    }),
  [SmsProviderName.Telegram]: (config, http) =>
    new TelegramGatewayProvider({
      ...http(config.get('TELEGRAM_GATEWAY_API_URL', { infer: true })),
      token: config.get('TELEGRAM_GATEWAY_TOKEN', { infer: true }),
      senderUsername: config.get('TELEGRAM_SENDER_USERNAME', { infer: true }),
      callbackUrl: httpsOnly(webhookUrl(config, SmsProviderName.Telegram)),
    }),
  [SmsProviderName.WhatsApp]: (config, http) =>
    new WhatsAppCloudProvider({
      ...http(config.get('WHATSAPP_API_URL', { infer: true })),
      accessToken: config.get('WHATSAPP_ACCESS_TOKEN', { infer: true }),
      phoneNumberId: config.get('WHATSAPP_PHONE_NUMBER_ID', { infer: true }),
      templateName: config.get('WHATSAPP_TEMPLATE_NAME', { infer: true }),
      templateLanguage: config.get('WHATSAPP_TEMPLATE_LANGUAGE', { infer: true }),
      apiVersion: config.get('WHATSAPP_API_VERSION', { infer: true }),
      appSecret: config.get('WHATSAPP_APP_SECRET', { infer: true }),
      verifyToken: config.get('WHATSAPP_VERIFY_TOKEN', { infer: true }),
    }),
};

/**
 * Telegram accepts only an HTTPS `callback_url` (docs: "An HTTPS URL"): with a plain-HTTP PUBLIC_BASE_URL
 * (development) no callback is asked for, rather than every send being refused, and the poller asks instead.
 */
function httpsOnly(url: string | undefined): string | undefined {
  return url?.startsWith('https://') ? url : undefined;
}

/**
 * Builds only the adapters the configuration selects: those of SMS_PROVIDER and SMS_ROUTES.
 * `SMS_TEST_MODE` forces `console` for everything.
 */
export function createSmsProviders(config: Config, observeCall?: VendorCallObserver): ReadonlyMap<string, SmsProvider> {
  const names = config.get('SMS_TEST_MODE', { infer: true })
    ? [SmsProviderName.Console]
    : configuredProviderNames(
        config.get('SMS_PROVIDER', { infer: true }),
        parseSmsRoutes(config.get('SMS_ROUTES', { infer: true })),
      );
  const http = httpOptions(config, observeCall);
  return new Map(names.map((name) => [name, ADAPTERS[name](config, http)]));
}
