import { DeliveryStatus } from '../../delivery-status';

const DELIVERED_CODES = [70, 69, 67];
/** 60 = not delivered; the rest are sender, request, channel, antifraud and duplicate failures (providers.md §2). */
const FAILED_CODES = [60, 98, 97, 94, 91, 89, 198, 199, 196, 96, 95, 92, 90, 87, 85, 68, 65];

/** Messaggio's integer status codes. No TTL-expiry code is known, so nothing maps to `expired`. */
const MESSAGGIO_STATUSES: ReadonlyMap<number, DeliveryStatus> = new Map([
  [200, DeliveryStatus.Queued],
  [100, DeliveryStatus.Sent],
  ...DELIVERED_CODES.map((code) => [code, DeliveryStatus.Delivered] as const),
  ...FAILED_CODES.map((code) => [code, DeliveryStatus.Failed] as const),
]);

export function messaggioDeliveryStatus(code: number): DeliveryStatus {
  return MESSAGGIO_STATUSES.get(code) ?? DeliveryStatus.Unknown;
}
