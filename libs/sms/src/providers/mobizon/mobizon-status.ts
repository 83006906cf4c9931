import { DeliveryStatus } from '../../delivery-status';

/** Mobizon's SMPP-style status words (providers.md §1). PDLIVRD = only some parts delivered, not final. */
const MOBIZON_STATUSES: ReadonlyMap<string, DeliveryStatus> = new Map([
  ['NEW', DeliveryStatus.Queued],
  ['ENQUEUD', DeliveryStatus.Queued],
  ['ACCEPTD', DeliveryStatus.Sent],
  ['PDLIVRD', DeliveryStatus.Sent],
  ['DELIVRD', DeliveryStatus.Delivered],
  ['UNDELIV', DeliveryStatus.Failed],
  ['REJECTD', DeliveryStatus.Failed],
  ['DELETED', DeliveryStatus.Failed],
  ['EXPIRED', DeliveryStatus.Expired],
]);

export function mobizonDeliveryStatus(providerStatus: string): DeliveryStatus {
  return MOBIZON_STATUSES.get(providerStatus.toUpperCase()) ?? DeliveryStatus.Unknown;
}
