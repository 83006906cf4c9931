import { DeliveryChannel, type SmsProvider } from '@app/sms';

/** Telegram and WhatsApp report delivery (and reading) quickly; SMS vendors' reports are slow and patchy. */
export const DEFAULT_CHANNEL_DELIVERY_TIMEOUT_SECONDS = 20;

/**
 * Seconds a link has to report delivered/read before the next link sends the same code; 0 = no timeout.
 * CHANNEL_DELIVERY_TIMEOUT_SECONDS unset: 20 for telegram and whatsapp links, none for SMS; set: it, for every link.
 */
export function deliveryTimeoutSeconds(provider: Pick<SmsProvider, 'channel'>, configured: number | undefined): number {
  if (configured !== undefined) return configured;
  return provider.channel === DeliveryChannel.Sms ? 0 : DEFAULT_CHANNEL_DELIVERY_TIMEOUT_SECONDS;
}
