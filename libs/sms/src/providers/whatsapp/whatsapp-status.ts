import { DeliveryStatus } from '../../delivery-status';

/**
 * Statuses of an outgoing message in the `messages` webhook (`entry[].changes[].value.statuses[].status`,
 * Meta's status webhook reference): sent, delivered, read, failed. `deleted` and `warning` say nothing about
 * delivery and, like any word we do not know, are `unknown`.
 */
const STATUSES: ReadonlyMap<string, DeliveryStatus> = new Map([
  ['sent', DeliveryStatus.Sent],
  ['delivered', DeliveryStatus.Delivered],
  ['read', DeliveryStatus.Read],
  ['failed', DeliveryStatus.Failed],
]);

export function whatsAppDeliveryStatus(providerStatus: string): DeliveryStatus {
  return STATUSES.get(providerStatus.toLowerCase()) ?? DeliveryStatus.Unknown;
}
