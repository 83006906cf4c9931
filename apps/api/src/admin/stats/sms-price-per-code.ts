import { DeliveryChannel } from '@app/sms';

/** A link of a chain as far as prices go. */
export interface PricedLink {
  name: string;
  channel: string;
}

/**
 * What one code would have cost by SMS (SPEC §9, "saved against all-SMS"), per country of the number:
 * the SMS_PRICES of the first SMS link of that country's chain that has a price; for a chain without one
 * (say `KZ=telegram`), the cheapest priced SMS provider configured. `fallback` is the figure for countries
 * without a route of their own (the `*` chain, else SMS_PROVIDER). Null: no SMS price is known.
 */
export interface SmsPricePerCode {
  byCountry: Map<string, string>;
  fallback: string | null;
}

export function smsPricePerCode(
  routedCountries: Iterable<string>,
  chainFor: (country: string | null) => readonly PricedLink[],
  configured: Iterable<PricedLink>,
  prices: ReadonlyMap<string, string>,
): SmsPricePerCode {
  const priceOf = (link: PricedLink) =>
    link.channel === (DeliveryChannel.Sms as string) ? prices.get(link.name) : undefined;
  const cheapest =
    [...configured]
      .map(priceOf)
      .filter((price): price is string => price !== undefined)
      .sort((a, b) => Number(a) - Number(b))[0] ?? null;
  const chainPrice = (country: string | null) =>
    chainFor(country)
      .map(priceOf)
      .find((price) => price !== undefined) ?? cheapest;
  const byCountry = new Map<string, string>();
  for (const country of routedCountries) {
    if (country === '*') continue;
    const price = chainPrice(country);
    if (price !== null) byCountry.set(country, price);
  }
  return { byCountry, fallback: chainPrice(null) };
}
