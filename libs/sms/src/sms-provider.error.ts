import { DomainError, ErrorCode } from '@app/common';

export type SmsFailureKind = 'rejected' | 'unavailable';

/**
 * A vendor failure in domain terms: `rejected` (the vendor refused this request: HTTP 502) or
 * `unavailable` (timeout, outage, rate limit, unreadable reply: HTTP 503). Keeps the vendor's own code.
 *
 * `definite`: the vendor certainly did not take the message (refused, 4xx/5xx, no answer), so the next
 * provider of the chain may send it. A 2xx reply we cannot read is not definite: the message may be on its way.
 */
export class SmsProviderError extends DomainError {
  constructor(
    readonly kind: SmsFailureKind,
    readonly provider: string,
    readonly providerCode: string | null,
    message: string,
    readonly definite = true,
  ) {
    super(kind === 'rejected' ? ErrorCode.SmsProviderRejected : ErrorCode.SmsProviderUnavailable, message, {
      provider,
      provider_code: providerCode,
    });
    this.name = 'SmsProviderError';
  }
}

/** A delivery webhook that failed authentication (forged, or no secret configured to check it). */
export class WebhookRejectedError extends DomainError {
  constructor(provider: string, reason: string) {
    super(ErrorCode.Unauthorized, `Delivery report refused: ${reason}`, { provider });
    this.name = 'WebhookRejectedError';
  }
}
