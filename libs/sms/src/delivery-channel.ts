/** How a code reaches the person (SPEC §9): a text through an SMS vendor, or a Telegram or WhatsApp message. */
export enum DeliveryChannel {
  Sms = 'sms',
  Telegram = 'telegram',
  WhatsApp = 'whatsapp',
}

export const DELIVERY_CHANNELS: readonly string[] = Object.values(DeliveryChannel);
