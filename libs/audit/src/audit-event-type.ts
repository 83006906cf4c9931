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
  // Operators' actions (SPEC §7), each with the operator's note.
  PhoneUnlocked = 'phone_unlocked',
  PhoneBlocked = 'phone_blocked',
  PhoneUnblocked = 'phone_unblocked',
  UserSessionsRevoked = 'user_sessions_revoked',
  // The fraud guard (SPEC §10).
  SendBlocked = 'send_blocked',
  FraudPrefixBlocked = 'fraud_prefix_blocked',
  FraudPrefixUnblocked = 'fraud_prefix_unblocked',
  // Retention: a month of the trail older than AUDIT_RETENTION_DAYS dropped (details: partition, from, to, rows).
  AuditPartitionDropped = 'audit_partition_dropped',
}

export type AuditOutcome = 'success' | 'failure';
