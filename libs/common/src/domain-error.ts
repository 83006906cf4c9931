import { type ErrorCode } from './error-code';

export type ErrorDetails = Record<string, unknown>;

/**
 * An expected failure with a stable code. Libraries throw it; the API's error filter alone decides
 * the HTTP status, so domain code never depends on HTTP classes.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    /** Seconds until retrying can succeed; sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
