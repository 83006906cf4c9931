import { generateKeyPairSync } from 'node:crypto';
import { configWarnings, InvalidConfigError, validateEnv } from './validate-env';

const JWT_SECRET = 'Jq7vT2mXr9LpB4nW8kZc1HdY6sGf3RaEuN5b';
const OTP_SECRET = 'pV3kM8wQz2Lr7Tn5Xc9Bh4Jd6Fs1Gy0AeUo2';

const pem = (type: 'ec' | 'rsa' | 'ed25519') =>
  (type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ed25519')
  ).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const EC_KEY = pem('ec');

const minimalEnv = (extra: Record<string, string> = {}) => ({ JWT_SECRET, OTP_SECRET, ...extra });
/** HS256 deployments of before the signing keys: JWT_SECRET only. */
const hs256Env = (extra: Record<string, string> = {}) => minimalEnv({ JWT_ALGORITHM: 'HS256', ...extra });
const productionEnv = (extra: Record<string, string> = {}) =>
  minimalEnv({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://sms:pw@db:5432/sms_auth',
    JWT_PRIVATE_KEYS: EC_KEY,
    ...extra,
  });

function configErrorOf(raw: Record<string, unknown>): InvalidConfigError {
  try {
    validateEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error('expected validateEnv to throw InvalidConfigError');
}

/** The problem line about `key` (problems read `KEY: what is wrong`). */
function problemAbout(error: InvalidConfigError, key: string): string | undefined {
  return error.problems.find((problem) => problem.startsWith(`${key}:`));
}

function expectRefused(raw: Record<string, unknown>, key: string): InvalidConfigError {
  const error = configErrorOf(raw);
  expect(error.message).toContain(key);
  expect(problemAbout(error, key)).toBeDefined();
  return error;
}

describe(validateEnv.name, () => {
  it('applies the SPEC defaults when only the secrets are set', () => {
    expect(validateEnv(minimalEnv())).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      OTP_LENGTH: 6,
      OTP_TTL_SECONDS: 300,
      OTP_MAX_ATTEMPTS: 5,
      RESEND_COOLDOWN_SECONDS: 60,
      PHONE_SEND_LIMIT_HOUR: 5,
      PHONE_SEND_LIMIT_DAY: 10,
      PHONE_MAX_FAILURES: 20,
      PHONE_LOCK_SECONDS: 3600,
      IP_SEND_LIMIT: 30,
      IP_VERIFY_LIMIT: 60,
      IP_LIMIT_WINDOW_SECONDS: 600,
      DEFAULT_COUNTRY: 'KZ',
      SMS_ALLOWED_COUNTRIES: [],
      SMS_PROVIDER: ['console'],
      SMS_TEST_MODE: false,
      SMS_EXPOSE_CODE: false,
      SMS_TEST_NUMBERS: '',
      ALLOW_TEST_NUMBERS_IN_PRODUCTION: false,
      SMS_DEFAULT_LOCALE: 'ru',
      JWT_ACCESS_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      REFRESH_REUSE_GRACE_SECONDS: 10,
      AUDIT_RETENTION_DAYS: 400,
      SMS_CODE_RETENTION_DAYS: 90,
      RETENTION_FIRST_RUN_DELAY_SECONDS: 60,
      JWT_SECRET,
      OTP_SECRET,
    });
  });

  it('reads REFRESH_REUSE_GRACE_SECONDS=0 as the grace window switched off', () => {
    expect(validateEnv(minimalEnv({ REFRESH_REUSE_GRACE_SECONDS: '0' }))).toMatchObject({
      REFRESH_REUSE_GRACE_SECONDS: 0,
    });
  });

  it('parses numbers and lists from their env strings', () => {
    expect(validateEnv(minimalEnv({ OTP_LENGTH: '8', PORT: '8080', SMS_ALLOWED_COUNTRIES: 'kz, uz' }))).toMatchObject({
      OTP_LENGTH: 8,
      PORT: 8080,
      SMS_ALLOWED_COUNTRIES: ['KZ', 'UZ'],
    });
  });

  it.each([
    ['OTP_LENGTH', '3'],
    ['OTP_LENGTH', '11'],
    ['OTP_TTL_SECONDS', '900'],
    ['SMS_PROVIDER', 'nope'],
    ['DEFAULT_COUNTRY', 'XX'],
    ['PORT', 'abc'],
    ['SMS_EXPOSE_CODE', 'maybe'],
    ['SMS_ALLOWED_COUNTRIES', 'KZ,Kazakhstan'],
    ['REFRESH_REUSE_GRACE_SECONDS', '-1'],
    ['REFRESH_REUSE_GRACE_SECONDS', '301'],
    ['REFRESH_REUSE_GRACE_SECONDS', 'soon'],
    // ISO-8601 forms that name no instant `new Date()` can read.
    ['SMS_TEST_NUMBERS_VALID_UNTIL', '2026-W01'],
    ['SMS_TEST_NUMBERS_VALID_UNTIL', '20260101'],
    ['SMS_TEST_NUMBERS_VALID_UNTIL', '2026-01-01T00Z'],
  ])('refuses %s=%p with a message naming the key', (key, value) => {
    expectRefused(minimalEnv({ [key]: value }), key);
  });

  it('lists every bad key at once', () => {
    const error = configErrorOf(minimalEnv({ OTP_LENGTH: '3', PORT: 'abc' }));
    expect(problemAbout(error, 'OTP_LENGTH')).toBeDefined();
    expect(problemAbout(error, 'PORT')).toBeDefined();
  });

  it.each(['JWT_SECRET', 'OTP_SECRET'])('requires %s with JWT_ALGORITHM=HS256', (key) => {
    const raw: Record<string, string> = hs256Env();
    delete raw[key];
    expectRefused(raw, key);
  });

  it('requires OTP_SECRET with an asymmetric algorithm too', () => {
    const raw: Record<string, string> = minimalEnv();
    delete raw.OTP_SECRET;
    expectRefused(raw, 'OTP_SECRET');
  });

  it('refuses a short secret without echoing it', () => {
    const error = expectRefused(hs256Env({ JWT_SECRET: 'short-but-private-value' }), 'JWT_SECRET');
    expect(error.message).not.toContain('short-but-private-value');
  });

  it('refuses the same value for JWT_SECRET and OTP_SECRET', () => {
    expectRefused(minimalEnv({ OTP_SECRET: JWT_SECRET }), 'OTP_SECRET');
  });

  it('refuses a daily send cap below the hourly one', () => {
    expectRefused(minimalEnv({ PHONE_SEND_LIMIT_HOUR: '5', PHONE_SEND_LIMIT_DAY: '4' }), 'PHONE_SEND_LIMIT_DAY');
  });

  describe('retention', () => {
    it('reads 0 as keep forever and accepts the shortest retentions', () => {
      expect(validateEnv(minimalEnv({ AUDIT_RETENTION_DAYS: '0', SMS_CODE_RETENTION_DAYS: '0' }))).toMatchObject({
        AUDIT_RETENTION_DAYS: 0,
        SMS_CODE_RETENTION_DAYS: 0,
      });
      expect(validateEnv(minimalEnv({ AUDIT_RETENTION_DAYS: '31', SMS_CODE_RETENTION_DAYS: '7' }))).toMatchObject({
        AUDIT_RETENTION_DAYS: 31,
        SMS_CODE_RETENTION_DAYS: 7,
      });
    });

    it('refuses a retention shorter than what the service reads, and a negative one', () => {
      const error = configErrorOf(minimalEnv({ AUDIT_RETENTION_DAYS: '30', SMS_CODE_RETENTION_DAYS: '6' }));
      expect(problemAbout(error, 'AUDIT_RETENTION_DAYS')).toContain('at least 31');
      expect(problemAbout(error, 'SMS_CODE_RETENTION_DAYS')).toContain('at least 7');
      expectRefused(minimalEnv({ AUDIT_RETENTION_DAYS: '-1' }), 'AUDIT_RETENTION_DAYS');
    });
  });

  describe('booleans', () => {
    it.each(['false', 'FALSE', '0', 'no', 'off', ''])('reads %p as false', (value) => {
      expect(validateEnv(minimalEnv({ SMS_EXPOSE_CODE: value, SMS_TEST_MODE: value }))).toMatchObject({
        SMS_EXPOSE_CODE: false,
        SMS_TEST_MODE: false,
      });
    });

    it.each(['true', 'TRUE', '1', 'yes', 'on'])('reads %p as true', (value) => {
      expect(validateEnv(minimalEnv({ SMS_EXPOSE_CODE: value }))).toMatchObject({ SMS_EXPOSE_CODE: true });
    });
  });

  describe('SMS_TEST_NUMBERS', () => {
    it('accepts well-formed entries', () => {
      expect(
        validateEnv(minimalEnv({ SMS_TEST_NUMBERS: '+77000000001:111111, 87000000002:2222' })).SMS_TEST_NUMBERS,
      ).toBe('+77000000001:111111, 87000000002:2222');
    });

    it.each(['+77000000001:111111,garbage', '+77000000001', '+77000000001:12', '+77000000001:abcdef', '123:111111'])(
      'refuses %p naming SMS_TEST_NUMBERS',
      (value) => {
        expectRefused(minimalEnv({ SMS_TEST_NUMBERS: value }), 'SMS_TEST_NUMBERS');
      },
    );
  });

  describe('in production', () => {
    it('accepts strong secrets, a database URL and no development switches', () => {
      expect(validateEnv(productionEnv())).toMatchObject({ NODE_ENV: 'production' });
    });

    it.each([
      ['a placeholder', 'change-me-change-me-change-me-change-me'],
      ['a value with too few distinct characters', 'abcabcabcabcabcabcabcabcabcabcabcabc'],
    ])('refuses %s as JWT_SECRET with JWT_ALGORITHM=HS256', (_, weak) => {
      expectRefused(productionEnv({ JWT_ALGORITHM: 'HS256', JWT_SECRET: weak }), 'JWT_SECRET');
    });

    it('refuses a placeholder OTP_SECRET', () => {
      expectRefused(productionEnv({ OTP_SECRET: 'change-me-change-me-change-me-change-me' }), 'OTP_SECRET');
    });

    it('accepts the same placeholder outside production', () => {
      expect(() => validateEnv(hs256Env({ JWT_SECRET: 'change-me-change-me-change-me-change-me' }))).not.toThrow();
    });

    it('refuses SMS_EXPOSE_CODE=true', () => {
      expectRefused(productionEnv({ SMS_EXPOSE_CODE: 'true' }), 'SMS_EXPOSE_CODE');
    });

    it('refuses SMS_TEST_NUMBERS unless ALLOW_TEST_NUMBERS_IN_PRODUCTION=true', () => {
      expectRefused(productionEnv({ SMS_TEST_NUMBERS: '+77000000001:111111' }), 'SMS_TEST_NUMBERS');
      expectRefused(
        productionEnv({ SMS_TEST_NUMBERS: '+77000000001:111111', ALLOW_TEST_NUMBERS_IN_PRODUCTION: 'false' }),
        'SMS_TEST_NUMBERS',
      );
      expect(() =>
        validateEnv(
          productionEnv({ SMS_TEST_NUMBERS: '+77000000001:111111', ALLOW_TEST_NUMBERS_IN_PRODUCTION: 'true' }),
        ),
      ).not.toThrow();
    });

    it('requires DATABASE_URL', () => {
      const raw: Record<string, string> = productionEnv();
      delete raw.DATABASE_URL;
      expectRefused(raw, 'DATABASE_URL');
    });

    it('requires the secrets', () => {
      const raw: Record<string, string> = productionEnv({ JWT_ALGORITHM: 'HS256' });
      delete raw.JWT_SECRET;
      expectRefused(raw, 'JWT_SECRET');
      const otp: Record<string, string> = productionEnv();
      delete otp.OTP_SECRET;
      expectRefused(otp, 'OTP_SECRET');
    });
  });
});

describe('JWT_ALGORITHM and JWT_PRIVATE_KEYS', () => {
  it('defaults to ES256 and reads the algorithm in any case', () => {
    expect(validateEnv(minimalEnv()).JWT_ALGORITHM).toBe('ES256');
    expect(validateEnv(minimalEnv({ JWT_ALGORITHM: 'eddsa' })).JWT_ALGORITHM).toBe('EdDSA');
    expect(validateEnv(minimalEnv({ JWT_ALGORITHM: 'rs256' })).JWT_ALGORITHM).toBe('RS256');
  });

  it.each(['PS256', 'none', 'ES512'])('refuses JWT_ALGORITHM=%s', (value) => {
    expectRefused(minimalEnv({ JWT_ALGORITHM: value }), 'JWT_ALGORITHM');
  });

  it.each([
    ['ES256', 'ec'],
    ['RS256', 'rsa'],
    ['EdDSA', 'ed25519'],
  ] as const)('boots in production with %s and an %s key, without JWT_SECRET', (algorithm, type) => {
    const raw: Record<string, string> = productionEnv({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEYS: pem(type) });
    delete raw.JWT_SECRET;
    expect(validateEnv(raw)).toMatchObject({ JWT_ALGORITHM: algorithm });
  });

  it.each(['ES256', 'RS256', 'EdDSA'])(
    'production with %s refuses to boot without JWT_PRIVATE_KEYS and says how to keep HS256',
    (algorithm) => {
      const error = expectRefused(
        productionEnv({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEYS: '' }),
        'JWT_PRIVATE_KEYS',
      );
      expect(problemAbout(error, 'JWT_PRIVATE_KEYS')).toContain('JWT_ALGORITHM=HS256');
    },
  );

  it('production with the default algorithm and only the old JWT_SECRET is refused', () => {
    const raw: Record<string, string> = productionEnv();
    delete raw.JWT_PRIVATE_KEYS;
    expectRefused(raw, 'JWT_PRIVATE_KEYS');
  });

  it('production with HS256 keeps the strong-secret rules and needs no keys', () => {
    const raw: Record<string, string> = productionEnv({ JWT_ALGORITHM: 'HS256' });
    delete raw.JWT_PRIVATE_KEYS;
    expect(validateEnv(raw)).toMatchObject({ JWT_ALGORITHM: 'HS256', JWT_SECRET });
  });

  it('development without keys boots (a key is generated into DATA_DIR before validation)', () => {
    expect(() => validateEnv(minimalEnv({ JWT_ALGORITHM: 'ES256' }))).not.toThrow();
  });

  it('JWT_SECRET is not required for an asymmetric algorithm', () => {
    const raw: Record<string, string> = minimalEnv({ JWT_PRIVATE_KEYS: EC_KEY });
    delete raw.JWT_SECRET;
    expect(() => validateEnv(raw)).not.toThrow();
  });

  it.each([
    [
      'a public key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
      /entry 1 is a public/,
    ],
    ['a key of the wrong type', () => pem('rsa'), /entry 1 is an RSA key/],
    [
      'an unparsable entry',
      () => `${EC_KEY}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----`,
      /entry 2 .*not a readable/,
    ],
    ['a duplicate kid', () => `${EC_KEY}${EC_KEY}`, /entries 1 and 2 have the same kid/],
  ])('refuses %s, naming JWT_PRIVATE_KEYS and the position, without key material', (_, value, message) => {
    const keys = value();
    for (const env of [minimalEnv({ JWT_PRIVATE_KEYS: keys }), productionEnv({ JWT_PRIVATE_KEYS: keys })]) {
      const error = expectRefused(env, 'JWT_PRIVATE_KEYS');
      expect(problemAbout(error, 'JWT_PRIVATE_KEYS')).toMatch(message);
      expect(error.message).not.toMatch(/BEGIN|[A-Za-z0-9+/]{40}/);
    }
  });

  it('ignores JWT_PRIVATE_KEYS with HS256', () => {
    expect(() => validateEnv(hs256Env({ JWT_PRIVATE_KEYS: 'not a key' }))).not.toThrow();
  });
});

describe(configWarnings.name, () => {
  const ALLOWED_COUNTRIES_WARNING = expect.stringContaining('SMS_ALLOWED_COUNTRIES');

  it('warns in production when SMS_ALLOWED_COUNTRIES is empty', () => {
    expect(configWarnings(validateEnv(productionEnv()))).toContainEqual(ALLOWED_COUNTRIES_WARNING);
  });

  it('does not warn about countries in production when they are restricted', () => {
    expect(configWarnings(validateEnv(productionEnv({ SMS_ALLOWED_COUNTRIES: 'KZ' })))).not.toContainEqual(
      ALLOWED_COUNTRIES_WARNING,
    );
  });

  it('warns about test numbers allowed in production', () => {
    const config = validateEnv(
      productionEnv({ SMS_TEST_NUMBERS: '+77000000001:111111', ALLOW_TEST_NUMBERS_IN_PRODUCTION: 'true' }),
    );
    expect(configWarnings(config)).toContainEqual(expect.stringContaining('SMS_TEST_NUMBERS'));
  });

  it('says nothing outside production', () => {
    expect(configWarnings(validateEnv(minimalEnv()))).toEqual([]);
  });
});

describe('SMS provider credentials', () => {
  it('boots with the console provider and no vendor credentials', () => {
    expect(() => validateEnv(minimalEnv())).not.toThrow();
  });

  it.each([
    ['mobizon', {}, 'MOBIZON_API_KEY'],
    ['messaggio', { MESSAGGIO_API_KEY: 'login' }, 'MESSAGGIO_SENDER'],
    ['greensms', { GREEN_SMS_USER: 'user' }, 'GREEN_SMS_PASSWORD'],
    ['twilio', { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token' }, 'TWILIO_PHONE_NUMBER'],
    ['eskiz', { ESKIZ_EMAIL: 'a@b.uz' }, 'ESKIZ_PASSWORD'],
  ])('refuses SMS_PROVIDER=%s without its credentials, naming the missing key', (provider, given, missing) => {
    const problem = problemAbout(expectRefused(minimalEnv({ SMS_PROVIDER: provider, ...given }), missing), missing);
    expect(problem).toContain(`"${provider}"`);
  });

  it('accepts either credential form of a vendor', () => {
    expect(() => validateEnv(minimalEnv({ SMS_PROVIDER: 'greensms', GREEN_SMS_TOKEN: 'token' }))).not.toThrow();
    expect(() =>
      validateEnv(
        minimalEnv({
          SMS_PROVIDER: 'twilio',
          TWILIO_ACCOUNT_SID: 'AC1',
          TWILIO_AUTH_TOKEN: 't',
          TWILIO_MESSAGING_SERVICE_SID: 'MG1',
        }),
      ),
    ).not.toThrow();
  });

  it('checks every vendor of a failover chain and of SMS_ROUTES', () => {
    expectRefused(minimalEnv({ SMS_PROVIDER: 'console,mobizon' }), 'MOBIZON_API_KEY');
    expectRefused(minimalEnv({ SMS_ROUTES: 'UZ=eskiz;*=console' }), 'ESKIZ_EMAIL');
  });

  it('refuses a malformed SMS_ROUTES, naming it', () => {
    expectRefused(minimalEnv({ SMS_ROUTES: 'KZ=nope' }), 'SMS_ROUTES');
    expectRefused(minimalEnv({ SMS_ROUTES: 'Kazakhstan=console' }), 'SMS_ROUTES');
  });

  it('never echoes a vendor secret in the message', () => {
    const error = configErrorOf(
      minimalEnv({ SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'super-secret-token-value' }),
    );
    expect(error.message).not.toContain('super-secret-token-value');
  });
});
