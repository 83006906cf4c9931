/** SPEC §3 delivery vocabulary of one send attempt. */
export enum DeliveryStatus {
  Queued = 'queued',
  Sent = 'sent',
  Delivered = 'delivered',
  /** The recipient opened the message (Telegram, WhatsApp): past delivered. */
  Read = 'read',
  Failed = 'failed',
  Expired = 'expired',
  Unknown = 'unknown',
}
