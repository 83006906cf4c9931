/** SPEC §3 delivery vocabulary of one send attempt. */
export enum DeliveryStatus {
  Queued = 'queued',
  Sent = 'sent',
  Delivered = 'delivered',
  Failed = 'failed',
  Expired = 'expired',
  Unknown = 'unknown',
}
