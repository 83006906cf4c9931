/** Per-IP buckets: send and resend share one, verify has its own (SPEC §3). */
export const SEND_THROTTLER = 'send';
export const VERIFY_THROTTLER = 'verify';
