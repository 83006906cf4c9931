import { fraudGuardMode, parseAllowedIps, parseAllowedPhones, parseSpendLimits } from './fraud-guard-settings';
import { InvalidConfigError, validateEnv } from './validate-env';

describe('fraud guard settings', () => {
  it('defaults to enforce in production and record elsewhere; an explicit mode wins', () => {
    expect(fraudGuardMode({ FRAUD_GUARD: undefined, NODE_ENV: 'production' })).toBe('enforce');
    expect(fraudGuardMode({ FRAUD_GUARD: undefined, NODE_ENV: 'development' })).toBe('record');
    expect(fraudGuardMode({ FRAUD_GUARD: 'off', NODE_ENV: 'production' })).toBe('off');
  });

  it('parses spend limits per country and for every other country', () => {
    expect(parseSpendLimits('uz=50; *=100.5')).toEqual({ UZ: 50, '*': 100.5 });
    expect(parseSpendLimits('')).toEqual({});
    expect(() => parseSpendLimits('UZB=5')).toThrow('"UZB=5" is not COUNTRY=amount');
    expect(() => parseSpendLimits('UZ=-1')).toThrow();
  });

  it('matches addresses against CIDRs of both families', () => {
    const list = parseAllowedIps('10.0.0.0/8, 203.0.113.7, 2001:db8::/32');
    expect(list.check('10.20.30.40', 'ipv4')).toBe(true);
    expect(list.check('203.0.113.7', 'ipv4')).toBe(true);
    expect(list.check('203.0.113.8', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(list.check('2001:db9::1', 'ipv6')).toBe(false);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x'])
      expect(() => parseAllowedIps(bad)).toThrow('is not an IP address or CIDR');
  });

  it('compiles the phone pattern, none when empty', () => {
    expect(parseAllowedPhones('^\\+7700')?.test('+77001234567')).toBe(true);
    expect(parseAllowedPhones('  ')).toBeNull();
  });

  it('refuses to boot with a setting that does not parse, naming it', () => {
    const base = { OTP_SECRET: 'x'.repeat(40), JWT_ALGORITHM: 'HS256', JWT_SECRET: 'y'.repeat(40) };
    for (const [key, value] of [
      ['FRAUD_ALLOW_IPS', '300.1.1.1'],
      ['FRAUD_ALLOW_PHONES', '(['],
      ['FRAUD_DAILY_SPEND_LIMIT', 'KZ'],
      ['FRAUD_GUARD', 'block'],
      ['FRAUD_BREAKER_MIN_CONVERSION', '2'],
    ]) {
      expect(() => validateEnv({ ...base, [key]: value })).toThrow(InvalidConfigError);
      expect(() => validateEnv({ ...base, [key]: value })).toThrow(key);
    }
  });
});
