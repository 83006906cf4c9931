import { DeliveryStatus } from '../../delivery-status';

/**
 * Eskiz's status words (the community enum plus `waiting` at send time, providers.md §5), compared
 * case-insensitively. `expired` is not in the enum; it is mapped because it cannot mean anything else.
 */
const STATUSES: ReadonlyMap<string, DeliveryStatus> = new Map([
  ['waiting', DeliveryStatus.Queued],
  ['new', DeliveryStatus.Queued],
  ['stored', DeliveryStatus.Queued],
  ['accepted', DeliveryStatus.Sent],
  ['partdelivered', DeliveryStatus.Sent],
  ['delivered', DeliveryStatus.Delivered],
  ['rejected', DeliveryStatus.Failed],
  ['expired', DeliveryStatus.Expired],
]);

export function eskizDeliveryStatus(providerStatus: string): DeliveryStatus {
  return STATUSES.get(providerStatus.toLowerCase()) ?? DeliveryStatus.Unknown;
}
