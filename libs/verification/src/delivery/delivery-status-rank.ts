import { DeliveryStatus } from '@app/sms';

const RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.Unknown]: 0,
  [DeliveryStatus.Queued]: 1,
  [DeliveryStatus.Sent]: 2,
  [DeliveryStatus.Delivered]: 3,
  [DeliveryStatus.Failed]: 3,
  [DeliveryStatus.Expired]: 3,
  // Read implies delivered: it may follow delivered, and a late `delivered`, `expired` or `revoked` never undoes it.
  [DeliveryStatus.Read]: 4,
};

export const AWAITING_STATUSES: readonly DeliveryStatus[] = [
  DeliveryStatus.Queued,
  DeliveryStatus.Sent,
  DeliveryStatus.Unknown,
];

/**
 * Reports can arrive late, twice, or out of order (a `sent` after `delivered`): a delivery only moves
 * forward, and a final status is never replaced.
 */
export function isProgress(current: DeliveryStatus, next: DeliveryStatus): boolean {
  return RANK[next] > RANK[current];
}

/** The message reached the person: delivered, or read (Telegram, WhatsApp). */
export function isDelivered(status: string | null | undefined): boolean {
  return status === DeliveryStatus.Delivered || status === DeliveryStatus.Read;
}
