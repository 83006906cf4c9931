import { randomBytes } from 'node:crypto';

/** Environment variables the global setup hands to every test worker. */
export const ADMIN_URL_VAR = 'SMS_AUTH_TEST_ADMIN_URL';
export const TEMPLATE_DB_VAR = 'SMS_AUTH_TEST_TEMPLATE_DB';

/** A configuration for one test app: strong random secrets, quiet logs, codes exposed for the tests to read. */
export function baseTestEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    OTP_SECRET: randomBytes(32).toString('base64url'),
    SMS_EXPOSE_CODE: 'true',
    TRUST_PROXY: 'true',
    IP_SEND_LIMIT: '10000',
    IP_VERIFY_LIMIT: '10000',
    DATABASE_POOL_SIZE: '10',
    // Tests drive the delivery poller themselves (DeliveryPoller.pollOnce).
    SMS_STATUS_POLL_INTERVAL_MS: '600000',
  };
}
