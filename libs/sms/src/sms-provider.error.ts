import { DomainError, ErrorCode } from '@app/common';

export type SmsFailureKind = 'rejected' | 'unavailable';

/**
 * A vendor failure in domain terms: `rejected` (the vendor refused this request: HTTP 502) or
 * `unavailable` (timeout, outage, rate limit, unreadable reply: HTTP 503). Keeps the vendor's own code.
 */
export class SmsProviderError extends DomainError {
  constructor(
    readonly kind: SmsFailureKind,
    readonly provider: string,
    readonly providerCode: string | null,
    message: string,
  ) {
    super(
      kind === 'rejected' ? ErrorCode.SmsProviderRejected : ErrorCode.SmsProviderUnavailable,
      message,
      { provider, provider_code: providerCode },
    );
    this.name = 'SmsProviderError';
  }
}
