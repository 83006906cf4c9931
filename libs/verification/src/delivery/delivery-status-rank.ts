import { DeliveryStatus } from '@app/sms';

const RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.Unknown]: 0,
  [DeliveryStatus.Queued]: 1,
  [DeliveryStatus.Sent]: 2,
  [DeliveryStatus.Delivered]: 3,
  [DeliveryStatus.Failed]: 3,
  [DeliveryStatus.Expired]: 3,
  // Read outranks every final status: the person saw the message, whatever an earlier report said.
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
