import { DeliveryStatus } from '../../delivery-status';

/**
 * `DeliveryStatus.status` of the Gateway API (core.telegram.org/gateway/api#deliverystatus, confirmed; `delivered`
 * and `expired` were added on 2025-02-26): sent (to the recipient's devices), delivered, read, expired (not
 * delivered within `ttl`: refunded), revoked (we withdrew it). Revoked ends the attempt as failed; its word
 * stays in `provider_status`.
 */
const STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  sent: DeliveryStatus.Sent,
  delivered: DeliveryStatus.Delivered,
  read: DeliveryStatus.Read,
  expired: DeliveryStatus.Expired,
  revoked: DeliveryStatus.Failed,
};

/** Our status for Telegram's word; `queued` when the reply has no delivery status yet, `unknown` for a new word. */
export function mapTelegramDeliveryStatus(status: string | null): DeliveryStatus {
  if (status === null) return DeliveryStatus.Queued;
  return STATUSES[status.toLowerCase()] ?? DeliveryStatus.Unknown;
}
