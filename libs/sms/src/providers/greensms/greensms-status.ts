import { DeliveryStatus } from '../../delivery-status';

/**
 * GreenSMS's status vocabulary is not documented (providers.md: UNCONFIRMED), so statuses are matched by
 * keyword, case-insensitively. Order matters: `undelivered` and `not delivered` contain `deliver`, so the
 * failure words are checked before it.
 */
const KEYWORDS: ReadonlyArray<readonly [DeliveryStatus, readonly string[]]> = [
  [DeliveryStatus.Expired, ['expire']],
  [DeliveryStatus.Failed, ['reject', 'undeliver', 'not deliver', 'fail', 'error']],
  [DeliveryStatus.Delivered, ['deliver']],
  [DeliveryStatus.Sent, ['accept', 'sent', 'enroute']],
  [DeliveryStatus.Queued, ['queue', 'pend']],
];

export function greenSmsDeliveryStatus(providerStatus: string): DeliveryStatus {
  const status = providerStatus.toLowerCase();
  const match = KEYWORDS.find(([, words]) => words.some((word) => status.includes(word)));
  return match ? match[0] : DeliveryStatus.Unknown;
}
