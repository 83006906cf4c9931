import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Environment variables the global setup hands to every test worker. */
export const ADMIN_URL_VAR = 'SMS_AUTH_TEST_ADMIN_URL';
export const TEMPLATE_DB_VAR = 'SMS_AUTH_TEST_TEMPLATE_DB';

let workerSigningKey: string | undefined;

/**
 * The ES256 signing key (PKCS#8 PEM) of this worker's test apps, generated once per process: the apps then
 * never write a development key into `.data/`. Apps of one worker share it; a test that needs an app of
 * "another deployment" gives that app its own JWT_PRIVATE_KEYS.
 */
export function testSigningKeyPem(): string {
  workerSigningKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return workerSigningKey;
}

/** A configuration for one test app: strong random secrets, quiet logs, codes exposed for the tests to read. */
export function baseTestEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_ALGORITHM: 'ES256',
    JWT_PRIVATE_KEYS: testSigningKeyPem(),
    // Used when a test sets JWT_ALGORITHM=HS256.
    JWT_SECRET: randomBytes(32).toString('base64url'),
    OTP_SECRET: randomBytes(32).toString('base64url'),
    SMS_EXPOSE_CODE: 'true',
    TRUST_PROXY: 'true',
    IP_SEND_LIMIT: '10000',
    IP_VERIFY_LIMIT: '10000',
    DATABASE_POOL_SIZE: '10',
    // Tests drive the delivery poller themselves (DeliveryPoller.pollOnce).
    SMS_STATUS_POLL_INTERVAL_MS: '600000',
    // Tests run data retention themselves (DataRetentionJob.runOnce), or set a short delay to see it start.
    RETENTION_FIRST_RUN_DELAY_SECONDS: '86400',
  };
}
