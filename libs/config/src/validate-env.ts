import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { AUDIT_RETENTION_MIN_DAYS, type AppConfig, Env, SMS_CODE_RETENTION_MIN_DAYS } from './env.schema';
import { REQUIRED_PROVIDER_SETTINGS, SmsProviderName } from './sms-provider-name';
import { configuredProviderNames, parseSmsRoutes, type SmsRoutes } from './sms-routes';
import { isWeakSecret } from './secret-strength';
import { isAsymmetricAlgorithm, parseSigningKeys, type SigningKey, SigningKeyError } from './signing-keys';
import { parseTestNumbers } from './test-numbers';
import { fraudGuardProblems } from './fraud-guard-settings';

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

function describe(error: ValidationError): string {
  const messages = Object.values(error.constraints ?? {});
  const shown =
    typeof error.value === 'string' && /SECRET|PASSWORD|TOKEN|KEY/.test(error.property)
      ? '<hidden>'
      : JSON.stringify(error.value);
  return `${error.property}: ${messages.join('; ')} (got ${shown})`;
}

function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  try {
    parseTestNumbers(env.SMS_TEST_NUMBERS, env.DEFAULT_COUNTRY);
  } catch (error) {
    problems.push(`SMS_TEST_NUMBERS: ${(error as Error).message}`);
  }
  const secrets = env.JWT_ALGORITHM === 'HS256' ? (['JWT_SECRET', 'OTP_SECRET'] as const) : (['OTP_SECRET'] as const);
  for (const key of secrets) {
    const why = key === 'JWT_SECRET' ? ' with JWT_ALGORITHM=HS256' : '';
    if (!env[key])
      problems.push(`${key}: is required${production ? ' in production' : ''}${why} (at least 32 random characters)`);
    else if (production && isWeakSecret(env[key]))
      problems.push(`${key}: is weak or a placeholder; production needs at least 32 random characters`);
  }
  if (env.JWT_SECRET && env.JWT_SECRET === env.OTP_SECRET) problems.push('OTP_SECRET: must differ from JWT_SECRET');
  problems.push(...signingKeyProblems(env));
  if (production) {
    if (!env.DATABASE_URL)
      problems.push('DATABASE_URL: is required in production (the embedded Postgres is for development)');
    if (env.SMS_EXPOSE_CODE) problems.push('SMS_EXPOSE_CODE: must be false in production');
    if (env.SMS_TEST_NUMBERS.trim() && !env.ALLOW_TEST_NUMBERS_IN_PRODUCTION) {
      problems.push('SMS_TEST_NUMBERS: refused in production unless ALLOW_TEST_NUMBERS_IN_PRODUCTION=true');
    }
  }
  problems.push(...providerProblems(env));
  problems.push(...fraudGuardProblems(env));
  if (env.PHONE_SEND_LIMIT_DAY < env.PHONE_SEND_LIMIT_HOUR)
    problems.push('PHONE_SEND_LIMIT_DAY: must be at least PHONE_SEND_LIMIT_HOUR');
  problems.push(...retentionProblems(env));
  return problems;
}

/** A retention is 0 (keep forever) or long enough for what the service still reads. */
function retentionProblems(env: Env): string[] {
  const settings = [
    ['AUDIT_RETENTION_DAYS', env.AUDIT_RETENTION_DAYS, AUDIT_RETENTION_MIN_DAYS],
    ['SMS_CODE_RETENTION_DAYS', env.SMS_CODE_RETENTION_DAYS, SMS_CODE_RETENTION_MIN_DAYS],
  ] as const;
  return settings
    .filter(([, days, min]) => days > 0 && days < min)
    .map(([key, , min]) => `${key}: must be 0 (keep forever) or at least ${min} days`);
}

/**
 * An asymmetric JWT_ALGORITHM needs JWT_PRIVATE_KEYS that parse and fit it; production refuses to boot without
 * them (development generates one into DATA_DIR before validation, see ensureDevelopmentSecrets).
 */
function signingKeyProblems(env: Env): string[] {
  const algorithm = env.JWT_ALGORITHM;
  if (!isAsymmetricAlgorithm(algorithm)) return [];
  let keys: SigningKey[];
  try {
    keys = parseSigningKeys(env.JWT_PRIVATE_KEYS, algorithm);
  } catch (error) {
    if (error instanceof SigningKeyError) return [`JWT_PRIVATE_KEYS: ${error.message}`];
    throw error;
  }
  const kind = { ES256: 'EC P-256', RS256: 'RSA ≥ 2048-bit', EdDSA: 'Ed25519' }[algorithm];
  if (keys.length === 0 && env.NODE_ENV === 'production')
    return [
      `JWT_PRIVATE_KEYS: is required in production with JWT_ALGORITHM=${algorithm} ` +
        `(${kind} private keys, PEM or JWK, newest first); to keep HS256 with JWT_SECRET set JWT_ALGORITHM=HS256`,
    ];
  return [];
}

/** Every vendor named in SMS_PROVIDER or SMS_ROUTES needs its credentials. */
function providerProblems(env: Env): string[] {
  let routes: SmsRoutes;
  try {
    routes = parseSmsRoutes(env.SMS_ROUTES);
  } catch (error) {
    return [`SMS_ROUTES: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  const values = env as unknown as Record<string, unknown>;
  for (const provider of configuredProviderNames(env.SMS_PROVIDER, routes)) {
    const groups = REQUIRED_PROVIDER_SETTINGS[provider];
    if (groups.some((group) => group.every((key) => values[key]))) continue;
    const missing = groups[0].filter((key) => !values[key]);
    const alternatives =
      groups.length > 1
        ? ` (or: ${groups
            .slice(1)
            .map((group) => group.join(' + '))
            .join('; ')})`
        : '';
    for (const key of missing)
      problems.push(`${key}: required because SMS provider "${provider}" is selected${alternatives}`);
  }
  return problems;
}

/** Validates raw environment variables once, at boot. Throws one error listing every bad key. */
export function validateEnv(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(Env, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: true });
  const problems = errors.map(describe);
  if (problems.length === 0) problems.push(...crossFieldProblems(env));
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return env as AppConfig;
}

/** Settings that are allowed but risky; logged as warnings at boot. */
export function configWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (config.NODE_ENV !== 'production') return warnings;
  if (config.SMS_ALLOWED_COUNTRIES.length === 0) {
    warnings.push('SMS_ALLOWED_COUNTRIES is empty: codes can be sent to every country, which invites SMS pumping');
  }
  if (
    config.SMS_TEST_MODE ||
    configuredProviderNames(config.SMS_PROVIDER, parseSmsRoutes(config.SMS_ROUTES)).includes(SmsProviderName.Console)
  ) {
    warnings.push(
      'the console SMS provider is active in production: ' +
        'no SMS leaves this service (codes are not logged in production)',
    );
  }
  if (config.SMS_TEST_NUMBERS.trim()) warnings.push('SMS_TEST_NUMBERS are enabled in production');
  return warnings;
}
