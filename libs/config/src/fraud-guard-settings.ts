import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Env } from './env.schema';

export const FRAUD_GUARD_MODES = ['off', 'record', 'enforce'] as const;
export type FraudGuardMode = (typeof FRAUD_GUARD_MODES)[number];

/** The thresholds of SPEC §10's rules, as the reservation statement reads them (snake_case JSON). */
export interface FraudRuleSettings {
  ip_country_limit: number;
  country_min_day: number;
  country_min_hour: number;
  ip_min_day: number;
  ip_min_hour: number;
  verified_ratio: number;
  baseline_days: number;
  prefix_limit_hour: number;
  breaker_window: number;
  breaker_min_conversion: number;
  breaker_block_seconds: number;
  known_phone_days: number;
  /** Country (or `*`) → the most a day's estimated cost may reach; absent: no cap. */
  spend_limits: Record<string, number>;
}

export interface FraudGuardSettings {
  mode: FraudGuardMode;
  rules: FraudRuleSettings;
  allowIps: BlockList;
  allowPhones: RegExp | null;
}

/** FRAUD_GUARD as set, else `enforce` in production and `record` elsewhere. */
export function fraudGuardMode(env: Pick<Env, 'FRAUD_GUARD' | 'NODE_ENV'>): FraudGuardMode {
  return env.FRAUD_GUARD ?? (env.NODE_ENV === 'production' ? 'enforce' : 'record');
}

/** `UZ=50;*=100` → { UZ: 50, '*': 100 }. Throws on an entry that is not COUNTRY=amount. */
export function parseSpendLimits(raw: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const entry of raw
    .split(/[;,]/)
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z]{2}|\*)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not COUNTRY=amount (e.g. UZ=50;*=100)`);
    limits[match[1].toUpperCase()] = Number(match[2]);
  }
  return limits;
}

/** `10.0.0.0/8, 203.0.113.7` → a BlockList of those networks (a bare address is its own /32 or /128). */
export function parseAllowedIps(raw: string): BlockList {
  const list = new BlockList();
  for (const entry of raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [address, bits, extra] = entry.split('/');
    const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    const max = type === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!type || extra !== undefined || !/^\d+$/.test(bits ?? String(max)) || prefix > max)
      throw new Error(`"${entry}" is not an IP address or CIDR`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** FRAUD_ALLOW_PHONES as a RegExp matched against the E.164 number; empty: none. Throws when it does not compile. */
export function parseAllowedPhones(raw: string): RegExp | null {
  return raw.trim() ? new RegExp(raw.trim()) : null;
}

/** The guard's settings from `read` (ConfigService.get, or a validated Env's own fields). */
export function fraudGuardSettings(read: <K extends keyof Env>(key: K) => Env[K]): FraudGuardSettings {
  return {
    mode: fraudGuardMode({ FRAUD_GUARD: read('FRAUD_GUARD'), NODE_ENV: read('NODE_ENV') }),
    rules: {
      ip_country_limit: read('FRAUD_IP_COUNTRY_LIMIT'),
      country_min_day: read('FRAUD_COUNTRY_MIN_DAY'),
      country_min_hour: read('FRAUD_COUNTRY_MIN_HOUR'),
      ip_min_day: read('FRAUD_IP_MIN_DAY'),
      ip_min_hour: read('FRAUD_IP_MIN_HOUR'),
      verified_ratio: read('FRAUD_VERIFIED_RATIO'),
      baseline_days: read('FRAUD_BASELINE_DAYS'),
      prefix_limit_hour: read('FRAUD_PREFIX_LIMIT_HOUR'),
      breaker_window: read('FRAUD_BREAKER_WINDOW'),
      breaker_min_conversion: read('FRAUD_BREAKER_MIN_CONVERSION'),
      breaker_block_seconds: read('FRAUD_BREAKER_BLOCK_HOURS') * 3600,
      known_phone_days: read('FRAUD_KNOWN_PHONE_DAYS'),
      spend_limits: parseSpendLimits(read('FRAUD_DAILY_SPEND_LIMIT')),
    },
    allowIps: parseAllowedIps(read('FRAUD_ALLOW_IPS')),
    allowPhones: parseAllowedPhones(read('FRAUD_ALLOW_PHONES')),
  };
}

/** What is wrong with the fraud guard's settings, one line each (validateEnv). */
export function fraudGuardProblems(env: Env): string[] {
  const problems: string[] = [];
  const checks: [string, () => unknown][] = [
    ['FRAUD_DAILY_SPEND_LIMIT', () => parseSpendLimits(env.FRAUD_DAILY_SPEND_LIMIT)],
    ['FRAUD_ALLOW_IPS', () => parseAllowedIps(env.FRAUD_ALLOW_IPS)],
    ['FRAUD_ALLOW_PHONES', () => parseAllowedPhones(env.FRAUD_ALLOW_PHONES)],
  ];
  for (const [key, parse] of checks) {
    try {
      parse();
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  return problems;
}
