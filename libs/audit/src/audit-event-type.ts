/** SPEC §6 event types. Stable strings: operators query them. */
export enum AuditEventType {
  CodeRequested = 'code_requested',
  CodeSent = 'code_sent',
  CodeSendFailed = 'code_send_failed',
  DeliveryUpdated = 'delivery_updated',
  CodeVerified = 'code_verified',
  CodeVerifyFailed = 'code_verify_failed',
  MaxAttemptsReached = 'max_attempts_reached',
  PhoneLocked = 'phone_locked',
  RateLimited = 'rate_limited',
  TokenIssued = 'token_issued',
  TokenRefreshed = 'token_refreshed',
  RefreshReuseDetected = 'refresh_reuse_detected',
  SessionRevoked = 'session_revoked',
}

export type AuditOutcome = 'success' | 'failure';
