import { SMS_PROVIDER_NAMES, type SmsProviderName } from './sms-provider-name';

/** Country (ISO alpha-2, or `*` for the rest) → provider chain. */
export type SmsRoutes = ReadonlyMap<string, readonly SmsProviderName[]>;

/**
 * Parses `SMS_ROUTES="KZ=mobizon;UZ=eskiz,twilio;*=twilio"`. Throws a message naming the bad entry;
 * `validateEnv` turns it into a boot failure.
 */
export function parseSmsRoutes(raw: string): SmsRoutes {
  const routes = new Map<string, SmsProviderName[]>();
  for (const entry of raw
    .split(';')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [country, chain, ...rest] = entry.split('=').map((part) => part.trim());
    if (rest.length > 0 || !country || !chain) throw new Error(`entry "${entry}" is not COUNTRY=provider[,provider…]`);
    const key = country.toUpperCase();
    if (key !== '*' && !/^[A-Z]{2}$/.test(key))
      throw new Error(`entry "${entry}": "${country}" is not a two-letter country code or *`);
    if (routes.has(key)) throw new Error(`entry "${entry}": ${key} is routed twice`);
    const names = chain
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    const unknown = names.filter((name) => !SMS_PROVIDER_NAMES.includes(name));
    if (names.length === 0 || unknown.length > 0)
      throw new Error(`entry "${entry}": unknown provider ${unknown.join(', ') || '(none)'}`);
    routes.set(key, names as SmsProviderName[]);
  }
  return routes;
}

/** Every provider named in the default chain or any route, each once, in order of first mention. */
export function configuredProviderNames(
  defaultChain: readonly SmsProviderName[],
  routes: SmsRoutes,
): SmsProviderName[] {
  return [...new Set([...defaultChain, ...[...routes.values()].flat()])];
}
