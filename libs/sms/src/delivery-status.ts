/** SPEC §3 delivery vocabulary of one send attempt. */
export enum DeliveryStatus {
  Queued = 'queued',
  Sent = 'sent',
  Delivered = 'delivered',
  /** Opened by the person (Telegram, WhatsApp read receipts): delivered, and then some. */
  Read = 'read',
  Failed = 'failed',
  Expired = 'expired',
  Unknown = 'unknown',
}
