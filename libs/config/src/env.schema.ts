import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsISO31661Alpha2,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { Transform } from 'class-transformer';
import { JWT_ALGORITHMS, jwtAlgorithmNamed, type JwtAlgorithm } from './signing-keys';
import { EmptyAsUndefined, ToBoolean, ToFloat, ToInt, ToLowerList, ToUpperList } from './env-transforms';
import { FRAUD_GUARD_MODES, type FraudGuardMode } from './fraud-guard-settings';
import { SMS_PROVIDER_NAMES, SmsProviderName } from './sms-provider-name';
import { IsInstant } from '@app/common';

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export type NodeEnvironment = (typeof NODE_ENVIRONMENTS)[number];
export const SUPPORTED_LOCALES = ['ru', 'kk', 'uz', 'en'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Below these, a retention setting other than 0 (keep forever) is refused: it would cut what the service reads. */
export const AUDIT_RETENTION_MIN_DAYS = 31;
export const SMS_CODE_RETENTION_MIN_DAYS = 7;
/** The largest fraud guard windows allowed: retention keeps what a guard set to them would read. */
export const FRAUD_BASELINE_MAX_DAYS = 14;
export const FRAUD_BREAKER_MAX_WINDOW = 10000;

/**
 * Every setting of sms-auth, validated once at boot (see `validateEnv`). Defaults are SPEC's.
 * `.env.example` lists the same keys; keep the two in step.
 */
export class Env {
  // --- runtime ---
  @IsIn(NODE_ENVIRONMENTS) NODE_ENV: NodeEnvironment = 'development';
  @ToInt() @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
  /**
   * Fastify `trustProxy` (as Express `trust proxy`): `false`, `true`, a hop count, or a list of addresses/subnets.
   * Only then is X-Forwarded-For honoured.
   */
  @IsString() TRUST_PROXY = 'false';
  @IsString() @MinLength(1) APP_NAME = 'sms-auth';
  /** Browser origins allowed to call the API (comma-separated); empty: CORS off. `*` allows any. */
  @ToLowerList() @IsArray() @IsString({ each: true }) CORS_ORIGINS: string[] = [];
  /**
   * On SIGTERM/SIGINT: how long in-flight requests may take before their connections are closed and the process
   * exits anyway (exit code 1 then; 0 when everything finished in time).
   */
  @ToInt() @IsInt() @Min(100) @Max(600000) SHUTDOWN_TIMEOUT_MS = 10000;

  // --- storage ---
  /** Unset: an embedded Postgres is started under `.data/` (development only). */
  @EmptyAsUndefined()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @ToInt() @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE = 10;
  @ToInt() @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT = 54329;
  @IsString() DATA_DIR = '.data';
  @EmptyAsUndefined()
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  // --- data retention (README "Data retention") ---
  /** Months of audit_events whose whole range is older than this many days are dropped; 0: kept forever. */
  @ToInt() @IsInt() @Min(0) @Max(36500) AUDIT_RETENTION_DAYS = 400;
  /** Codes (with their delivery rows) and fraud guard decisions older than this are deleted; 0: kept forever. */
  @ToInt() @IsInt() @Min(0) @Max(36500) SMS_CODE_RETENTION_DAYS = 90;
  /** Seconds from start to the first retention run of a deployment; then it runs daily. */
  @ToInt() @IsInt() @Min(1) @Max(86400) RETENTION_FIRST_RUN_DELAY_SECONDS = 60;

  // --- one-time codes (SPEC §3) ---
  @ToInt() @IsInt() @Min(4) @Max(10) OTP_LENGTH = 6;
  @ToInt() @IsInt() @Min(30) @Max(600) OTP_TTL_SECONDS = 300;
  @EmptyAsUndefined()
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'OTP_SECRET must be at least 32 characters' })
  OTP_SECRET?: string;
  @ToInt() @IsInt() @Min(1) @Max(20) OTP_MAX_ATTEMPTS = 5;
  @ToInt() @IsInt() @Min(0) @Max(3600) RESEND_COOLDOWN_SECONDS = 60;
  @ToInt() @IsInt() @Min(1) PHONE_SEND_LIMIT_HOUR = 5;
  @ToInt() @IsInt() @Min(1) PHONE_SEND_LIMIT_DAY = 10;
  @ToInt() @IsInt() @Min(1) PHONE_MAX_FAILURES = 20;
  @ToInt() @IsInt() @Min(1) PHONE_LOCK_SECONDS = 3600;
  @ToInt() @IsInt() @Min(1) IP_SEND_LIMIT = 30;
  @ToInt() @IsInt() @Min(1) IP_VERIFY_LIMIT = 60;
  @ToInt() @IsInt() @Min(1) IP_LIMIT_WINDOW_SECONDS = 600;

  // --- phone numbers (SPEC §4) ---
  @IsISO31661Alpha2() DEFAULT_COUNTRY = 'KZ';
  /** Empty: every country. */
  @ToUpperList() @IsArray() @IsISO31661Alpha2({ each: true }) SMS_ALLOWED_COUNTRIES: string[] = [];

  // --- SMS (SPEC §5) ---
  /** A failover chain, first choice first. */
  @ToLowerList()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(SMS_PROVIDER_NAMES, { each: true, message: `SMS_PROVIDER must list only: ${SMS_PROVIDER_NAMES.join(', ')}` })
  SMS_PROVIDER: SmsProviderName[] = [SmsProviderName.Console];
  /**
   * `KZ=mobizon;UZ=eskiz,twilio;*=twilio`: a chain per country;
   * countries not listed (with no `*`) use SMS_PROVIDER.
   */
  @IsString() SMS_ROUTES = '';
  @ToInt() @IsInt() @Min(100) @Max(60000) SMS_PROVIDER_TIMEOUT_MS = 5000;
  /** How often undelivered messages are asked for their status (vendors without delivery reports). */
  @ToInt() @IsInt() @Min(1000) @Max(600000) SMS_STATUS_POLL_INTERVAL_MS = 15000;
  /**
   * Delivery-driven failover (SPEC §9): a link that has not reported delivered/read this many seconds after
   * it accepted a code hands the same code to the next link of its chain. Unset: 20 s for telegram and
   * whatsapp links, none for SMS vendors; set: this for every link (0 turns it off).
   */
  @EmptyAsUndefined() @IsOptional() @ToInt() @IsInt() @Min(0) @Max(3600) CHANNEL_DELIVERY_TIMEOUT_SECONDS?: number;
  @ToBoolean() @IsBoolean() SMS_TEST_MODE = false;
  @ToBoolean() @IsBoolean() SMS_EXPOSE_CODE = false;
  /** `+77000000001:111111,+77000000002:222222` — fixed codes, sent through no provider. */
  @IsString() SMS_TEST_NUMBERS = '';
  @EmptyAsUndefined() @IsOptional() @IsInstant() SMS_TEST_NUMBERS_VALID_UNTIL?: string;
  @ToBoolean() @IsBoolean() ALLOW_TEST_NUMBERS_IN_PRODUCTION = false;
  @IsIn(SUPPORTED_LOCALES) SMS_DEFAULT_LOCALE: Locale = 'ru';
  @EmptyAsUndefined() @IsOptional() @IsString() SMS_TEMPLATE_RU?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() SMS_TEMPLATE_KK?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() SMS_TEMPLATE_UZ?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() SMS_TEMPLATE_EN?: string;

  // --- fraud guard (SPEC §10) ---
  /** off | record (judge and store, send anyway) | enforce. Unset: enforce in production, record elsewhere. */
  @EmptyAsUndefined() @IsOptional() @IsIn(FRAUD_GUARD_MODES) FRAUD_GUARD?: FraudGuardMode;
  /** Rule 1: distinct destination countries in 24 h an IP with no verified code may reach. */
  @ToInt() @IsInt() @Min(1) FRAUD_IP_COUNTRY_LIMIT = 3;
  /** Rule 2: floors of a country's unverified codes in 24 h and in an hour. */
  @ToInt() @IsInt() @Min(1) FRAUD_COUNTRY_MIN_DAY = 20;
  @ToInt() @IsInt() @Min(1) FRAUD_COUNTRY_MIN_HOUR = 3;
  /** Rule 3: floors of an IP's unverified codes in 24 h and in an hour. */
  @ToInt() @IsInt() @Min(1) FRAUD_IP_MIN_DAY = 10;
  @ToInt() @IsInt() @Min(1) FRAUD_IP_MIN_HOUR = 5;
  /** Rules 2 and 3: unverified codes allowed per verified one (0.2: one in six sent may go unverified). */
  @ToFloat() @IsNumber() @Min(0) @Max(100) FRAUD_VERIFIED_RATIO = 0.2;
  /** Rule 2: days of a country's daily verified codes whose maximum sets its baseline. */
  @ToInt() @IsInt() @Min(1) @Max(FRAUD_BASELINE_MAX_DAYS) FRAUD_BASELINE_DAYS = 14;
  /** Rule 4: sends to one prefix (the number without its last 4 digits) in an hour. */
  @ToInt() @IsInt() @Min(1) @Max(10000) FRAUD_PREFIX_LIMIT_HOUR = 10;
  /** Rule 5: a prefix whose last FRAUD_BREAKER_WINDOW sends converted below FRAUD_BREAKER_MIN_CONVERSION is blocked. */
  @ToInt() @IsInt() @Min(1) @Max(FRAUD_BREAKER_MAX_WINDOW) FRAUD_BREAKER_WINDOW = 50;
  @ToFloat() @IsNumber() @Min(0) @Max(1) FRAUD_BREAKER_MIN_CONVERSION = 0.05;
  @ToInt() @IsInt() @Min(1) @Max(720) FRAUD_BREAKER_BLOCK_HOURS = 12;
  /** Rule 6: `UZ=50;*=100` — the most a country's sends may cost a UTC day (SMS_PRICES); empty: no cap. */
  @IsString() FRAUD_DAILY_SPEND_LIMIT = '';
  /** Numbers that verified a code this recently pass rules 2, 4, 5 and 6. */
  @ToInt() @IsInt() @Min(0) @Max(3650) FRAUD_KNOWN_PHONE_DAYS = 90;
  /** Comma-separated addresses or CIDRs whose sends the guard does not judge. */
  @IsString() FRAUD_ALLOW_IPS = '';
  /** A regular expression over the E.164 number: matching numbers are not judged. */
  @IsString() FRAUD_ALLOW_PHONES = '';

  // --- SMS vendors (SPEC §5; credentials are required only for vendors named in SMS_PROVIDER or SMS_ROUTES) ---
  @EmptyAsUndefined() @IsOptional() @IsString() MOBIZON_API_KEY?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() MOBIZON_SENDER?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) MOBIZON_API_URL = 'https://api.mobizon.kz';
  /** The webhook secret set in Mobizon's control panel; without it Mobizon delivery reports are refused. */
  @EmptyAsUndefined() @IsOptional() @IsString() MOBIZON_WEBHOOK_SECRET?: string;
  /** The project login (sent as the `Messaggio-Login` header). */
  @EmptyAsUndefined() @IsOptional() @IsString() MESSAGGIO_API_KEY?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() MESSAGGIO_SENDER?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) MESSAGGIO_API_URL = 'https://msg.messaggio.com/api/v1';
  /** Path token of Messaggio's delivery reports: /api/v1/sms-auth/webhooks/messaggio/<token>. */
  @EmptyAsUndefined()
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'MESSAGGIO_WEBHOOK_TOKEN must be at least 24 characters' })
  MESSAGGIO_WEBHOOK_TOKEN?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() GREEN_SMS_USER?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() GREEN_SMS_PASSWORD?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() GREEN_SMS_TOKEN?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() GREEN_SMS_SENDER?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) GREEN_SMS_API_URL = 'https://api3.greensms.ru';
  @EmptyAsUndefined() @IsOptional() @IsString() TWILIO_ACCOUNT_SID?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() TWILIO_AUTH_TOKEN?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() TWILIO_PHONE_NUMBER?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() TWILIO_MESSAGING_SERVICE_SID?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) TWILIO_API_URL = 'https://api.twilio.com';
  @EmptyAsUndefined() @IsOptional() @IsString() ESKIZ_EMAIL?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() ESKIZ_PASSWORD?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() ESKIZ_SENDER?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) ESKIZ_API_URL = 'https://notify.eskiz.uz/api';
  /** Telegram Gateway (SPEC §9): the access token of the Gateway account settings. */
  @EmptyAsUndefined() @IsOptional() @IsString() TELEGRAM_GATEWAY_TOKEN?: string;
  @IsUrl({ require_tld: false, require_protocol: true }) TELEGRAM_GATEWAY_API_URL = 'https://gatewayapi.telegram.org';
  /** `sender_username`: a verified Telegram channel of the token's account to send the codes from. */
  @EmptyAsUndefined() @IsOptional() @IsString() TELEGRAM_SENDER_USERNAME?: string;
  /** WhatsApp Cloud API (README, "WhatsApp"): a system-user token, the business number's id, a template. */
  @EmptyAsUndefined() @IsOptional() @IsString() WHATSAPP_ACCESS_TOKEN?: string;
  @EmptyAsUndefined() @IsOptional() @IsString() WHATSAPP_PHONE_NUMBER_ID?: string;
  /** Created with a copy-code button and message_send_ttl_seconds ≤ OTP_TTL_SECONDS. */
  @EmptyAsUndefined() @IsOptional() @IsString() WHATSAPP_TEMPLATE_NAME?: string;
  @IsString()
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'WHATSAPP_TEMPLATE_LANGUAGE must look like en_US or ru' })
  WHATSAPP_TEMPLATE_LANGUAGE = 'en_US';
  @IsUrl({ require_tld: false, require_protocol: true }) WHATSAPP_API_URL = 'https://graph.facebook.com';
  @IsString()
  @Matches(/^v\d+\.\d+$/, { message: 'WHATSAPP_API_VERSION must look like v25.0' })
  WHATSAPP_API_VERSION = 'v25.0';
  /** The Meta app's secret: key of X-Hub-Signature-256; without it WhatsApp status webhooks are refused. */
  @EmptyAsUndefined() @IsOptional() @IsString() WHATSAPP_APP_SECRET?: string;
  /** Our answer to Meta's webhook subscription check (hub.verify_token); without it the check is refused. */
  @EmptyAsUndefined() @IsOptional() @IsString() WHATSAPP_VERIFY_TOKEN?: string;

  // --- admin API ---
  /** Price of one SMS per vendor, for the estimated cost in admin stats: `mobizon=0.012;twilio=0.0079`. */
  @Matches(/^$|^\s*[a-z]+\s*=\s*\d+(\.\d+)?\s*(;\s*[a-z]+\s*=\s*\d+(\.\d+)?\s*)*;?\s*$/, {
    message: 'SMS_PRICES must look like mobizon=0.012;twilio=0.0079',
  })
  SMS_PRICES = '';
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'SMS_PRICE_CURRENCY must be an ISO 4217 code such as USD' })
  SMS_PRICE_CURRENCY = 'USD';
  /** Bearer key of the /admin endpoints; unset: they answer 401. */
  @EmptyAsUndefined()
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'ADMIN_API_KEY must be at least 24 characters' })
  ADMIN_API_KEY?: string;

  // --- tokens (SPEC §7) ---
  /** How access tokens are signed: ES256 (default), RS256 or EdDSA with JWT_PRIVATE_KEYS; HS256 with JWT_SECRET. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (jwtAlgorithmNamed(value) ?? value) : value,
  )
  @IsIn(JWT_ALGORITHMS, { message: `JWT_ALGORITHM must be one of: ${JWT_ALGORITHMS.join(', ')}` })
  JWT_ALGORITHM: JwtAlgorithm = 'ES256';
  /**
   * Private keys of an asymmetric JWT_ALGORITHM, newest first (the first signs, all verify): PEM blocks one after
   * the other, or JSON (a JWK, an array, `{"keys":[…]}`). Parsed by parseSigningKeys; empty in development: one
   * is generated into DATA_DIR.
   */
  @IsString() JWT_PRIVATE_KEYS = '';
  /** The HS256 secret (JWT_ALGORITHM=HS256 only). */
  @EmptyAsUndefined()
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;
  @IsString() @MinLength(1) JWT_ISSUER = 'sms-auth';
  @IsString() @MinLength(1) JWT_AUDIENCE = 'sms-auth';
  @ToInt() @IsInt() @Min(60) @Max(86400) JWT_ACCESS_TTL_SECONDS = 900;
  @ToInt() @IsInt() @Min(1) @Max(365) REFRESH_TOKEN_TTL_DAYS = 30;
  /** A rotated refresh token presented again within this many seconds gets a sibling pair, not a logout; 0: off. */
  @ToInt() @IsInt() @Min(0) @Max(300) REFRESH_REUSE_GRACE_SECONDS = 10;

  // --- public URL (used in docs and, later, webhook signatures) ---
  @EmptyAsUndefined() @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) PUBLIC_BASE_URL?: string;
}

/**
 * The validated configuration with the secrets resolved (they are generated in development when missing).
 * JWT_SECRET is set when JWT_ALGORITHM=HS256, JWT_PRIVATE_KEYS (outside tests of a bare module) otherwise.
 */
export type AppConfig = Env & { OTP_SECRET: string };
