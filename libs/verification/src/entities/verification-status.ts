/** SPEC §3 status vocabulary of a code. Only `pending` codes can be verified; at most one per phone. */
export enum VerificationStatus {
  Pending = 'pending',
  Approved = 'approved',
  Canceled = 'canceled',
  Expired = 'expired',
  MaxAttemptsReached = 'max_attempts_reached',
  Failed = 'failed',
}
